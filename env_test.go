package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want map[string]string
	}{
		{"empty object", `{}`, map[string]string{}},
		{"string", `{"A":"hello world"}`, map[string]string{"A": "hello world"}},
		{"string with quotes and dollar", `{"A":"it's \"$HOME\" \\ ok"}`, map[string]string{"A": `it's "$HOME" \ ok`}},
		{"string with newline", `{"PEM":"-----BEGIN-----\nMIIB\n-----END-----\n"}`, map[string]string{"PEM": "-----BEGIN-----\nMIIB\n-----END-----\n"}},
		{"string with equals", `{"DSN":"a=b;c==d="}`, map[string]string{"DSN": "a=b;c==d="}},
		{"utf-8", `{"A":"héllo 世界 😀"}`, map[string]string{"A": "héllo 世界 😀"}},
		{"unicode escapes", `{"A":"\u00e9\u4e16\ud83d\ude00\u0041"}`, map[string]string{"A": "é世😀A"}},
		{"surrogate pairs, upper-case hex", `{"A":"\uD83D\uDE00x\ud83d\ude00"}`, map[string]string{"A": "😀x😀"}},
		{"escaped backslash before a u", `{"A":"\\ud800"}`, map[string]string{"A": `\ud800`}},
		{"surrogate kept escaped in a nested value", `{"O":{"s":"\ud800"}}`, map[string]string{"O": `{"s":"\ud800"}`}},
		{"BOM inside a value", "{\"A\":\"\ufeffx\"}", map[string]string{"A": "\ufeffx"}},
		{"escaped control characters", `{"A":"\t\r\n\b\f\/"}`, map[string]string{"A": "\t\r\n\b\f/"}},
		{"empty string", `{"A":""}`, map[string]string{"A": ""}},
		{"integer", `{"N":42}`, map[string]string{"N": "42"}},
		{"decimal keeps trailing zero", `{"N":1.50}`, map[string]string{"N": "1.50"}},
		{"big integer stays whole", `{"N":12345678901234567890}`, map[string]string{"N": "12345678901234567890"}},
		{"negative zero", `{"N":-0}`, map[string]string{"N": "-0"}},
		{"exponent", `{"N":1e-3}`, map[string]string{"N": "1e-3"}},
		{"capital exponent", `{"N":-2.5E+10}`, map[string]string{"N": "-2.5E+10"}},
		{"true", `{"B":true}`, map[string]string{"B": "true"}},
		{"false", `{"B":false}`, map[string]string{"B": "false"}},
		{"null is empty", `{"Z":null}`, map[string]string{"Z": ""}},
		{"nested object compact", `{"O": { "a" : [ 1 , 2.50 ] , "b" : { } } }`, map[string]string{"O": `{"a":[1,2.50],"b":{}}`}},
		{"array compact", `{"L":[ "x" , null , true , 1e3 ]}`, map[string]string{"L": `["x",null,true,1e3]`}},
		{"nested string kept escaped", `{"O":{"s":"a\"b\u00e9"}}`, map[string]string{"O": `{"s":"a\"b\u00e9"}`}},
		{"whitespace around", " \n\t{ \"A\" : \"x\" , \"B\" : 1 }\n ", map[string]string{"A": "x", "B": "1"}},
		{"keys not validated here", `{"not valid":1,"":2}`, map[string]string{"not valid": "1", "": "2"}},
		{"many keys", `{"A":1,"B":"2","C":null,"D":[]}`, map[string]string{"A": "1", "B": "2", "C": "", "D": "[]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSecret([]byte(tc.text))
			if err != nil {
				t.Fatalf("parseSecret(%q): %v", tc.text, err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("parseSecret(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseSecretErrors(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	tests := []struct {
		name    string
		text    string
		want    string // substring of the error
		notJSON bool   // errNotObject expected
	}{
		{"array", `["` + canary + `"]`, "not a JSON object", true},
		{"string", `"` + canary + `"`, "not a JSON object", true},
		{"number", `12345`, "not a JSON object", true},
		{"number beyond float64", ` 1E700 `, "not a JSON object", true},
		{"true", `true`, "not a JSON object", true},
		{"null", `null`, "not a JSON object", true},
		{"empty", ``, "ends too early", false},
		{"whitespace", " \n\t ", "ends too early", false},
		{"truncated in value", `{"A":"` + canary, "ends too early", false},
		{"truncated after colon", `{"A":`, "ends too early", false},
		{"truncated before close", `{"A":"` + canary + `"`, "ends too early", false},
		{"trailing garbage", `{"A":"` + canary + `"} ` + canary, "unexpected data after the object", false},
		{"second object", `{"A":"` + canary + `"}{}`, "unexpected data after the object", false},
		{"bad literal", `{"A":` + canary + `}`, "syntax error at byte", false},
		{"missing colon", `{"A" "` + canary + `"}`, "syntax error at byte", false},
		{"single quotes", `{'A':'` + canary + `'}`, "syntax error at byte", false},
		{"trailing comma", `{"A":"` + canary + `",}`, "syntax error at byte", false},
		{"bad escape", `{"A":"` + canary + `\x"}`, "syntax error at byte", false},
		{"raw newline in string", "{\"A\":\"" + canary + "\n\"}", "syntax error at byte", false},
		{"bad nested", `{"A":{"b":` + canary + `}}`, "syntax error at byte", false},
		{"lone high surrogate", `{"A":"` + canary + `\ud800y"}`, `value of key "A" holds a lone UTF-16 surrogate escape`, false},
		{"lone low surrogate", `{"B":1,"A":"x\uDC00` + canary + `"}`, `value of key "A" holds a lone UTF-16 surrogate escape`, false},
		{"high surrogate then a non-low", `{"A":"\ud83d\u0041` + canary + `"}`, `value of key "A" holds a lone UTF-16 surrogate escape`, false},
		{"two highs", `{"A":"\ud83d\ud83d\ude00"}`, `value of key "A" holds a lone`, false},
		{"high surrogate at the end", `{"A":"` + canary + `\ud83d"}`, `value of key "A" holds a lone`, false},
		{"lone surrogate in a key", `{"A":1,"K\ud800":"` + canary + `"}`, "the key at byte 8 holds a lone UTF-16 surrogate escape", false},
		{"byte-order mark", "\xef\xbb\xbf{\"A\":\"" + canary + "\"}", "secret starts with a byte-order mark (U+FEFF); save it without a BOM", false},
		{"duplicate key", `{"A":"` + canary + `","A":"` + canary + `"}`, `key "A" appears twice`, false},
		{"duplicate key with other values", `{"A":1,"B":2,"A":1}`, `key "A" appears twice`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSecret([]byte(tc.text))
			if err == nil {
				t.Fatalf("parseSecret(%q) succeeded, want an error", tc.text)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseSecret(%q) = %q, want it to contain %q", tc.text, err, tc.want)
			}
			if errors.Is(err, errNotObject) != tc.notJSON {
				t.Errorf("errors.Is(%q, errNotObject) = %v, want %v", err, !tc.notJSON, tc.notJSON)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "Zq7") {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want bool
	}{
		{"A", true},
		{"_", true},
		{"_1", true},
		{"abc_DEF_123", true},
		{"DATABASE_URL", true},
		{"", false},
		{"1A", false},
		{"9", false},
		{"A-B", false},
		{"A.B", false},
		{"A B", false},
		{"A=B", false},
		{"É", false},
		{"A\x00", false},
		{"A\n", false},
		{"$A", false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if got := validKey(tc.key); got != tc.want {
				t.Errorf("validKey(%q) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestCheckVars(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	long := strings.Repeat("x", 100) + "-"
	tests := []struct {
		name string
		vars map[string]string
		want string // "" for no error, else the exact message
	}{
		{"none", nil, ""},
		{"good", map[string]string{"A": canary, "_B1": "", "C": "multi\nline"}, ""},
		{"bad name", map[string]string{"my-key": canary}, `invalid variable name <6-byte key, not shown>; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"several bad names sorted", map[string]string{"b.b": canary, "1a": canary, "OK": canary}, `invalid variable name <2-byte key, not shown>, <3-byte key, not shown>; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"empty name", map[string]string{"": canary}, `invalid variable name <0-byte key, not shown>; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"control characters escaped", map[string]string{"A\nB\x00": canary}, `invalid variable name <4-byte key, not shown>; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"long name shortened", map[string]string{long: canary}, `invalid variable name <101-byte key, not shown>; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"NUL in value", map[string]string{"A": canary + "\x00" + canary}, "value of A contains a NUL byte, which cannot be passed to a program"},
		{"NUL in several values", map[string]string{"B": "\x00", "A": "x\x00", "C": "ok"}, "value of A, B contains a NUL byte, which cannot be passed to a program"},
		{"bad name reported before NUL", map[string]string{"A": "\x00", "b-b": ""}, `invalid variable name <3-byte key, not shown>; names must match [A-Za-z_][A-Za-z0-9_]*`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkVars(tc.vars)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkVars: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("checkVars succeeded, want %q", tc.want)
			case err != nil && err.Error() != tc.want:
				t.Errorf("checkVars = %q, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), canary) {
				t.Errorf("error %q quotes a value", err)
			}
		})
	}
}

func TestIsLoaderKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want bool
	}{
		{"LD_PRELOAD", true},
		{"LD_LIBRARY_PATH", true},
		{"LD_", true},
		{"DYLD_INSERT_LIBRARIES", true},
		{"BASH_FUNC_foo%%", true},
		{"BASH_ENV", true},
		{"ENV", true},
		{"GCONV_PATH", true},
		{"NODE_OPTIONS", true},
		{"PYTHONPATH", true},
		{"PYTHONSTARTUP", true},
		{"PERL5LIB", true},
		{"PERL5OPT", true},
		{"RUBYOPT", true},
		{"JAVA_TOOL_OPTIONS", true},
		{"JDK_JAVA_OPTIONS", true},
		{"_JAVA_OPTIONS", true},
		{"GLIBC_TUNABLES", true},
		{"SHELLOPTS", true},
		{"PS4", true},
		{"NODE_PATH", true},
		{"PYTHONHOME", true},
		{"PATH", true},
		{"PYTHONWARNINGS", true},
		{"PYTHONBREAKPOINT", true},
		{"PYTHONUSERBASE", true},
		{"PYTHONPLATLIBDIR", true},
		{"PYTHONEXECUTABLE", true},
		{"BROWSER", true},
		{"PAGER", true},
		{"EDITOR", true},
		{"LESSOPEN", true},
		{"OPENSSL_CONF", true},
		{"OPENSSL_MODULES", true},
		{"NODE_REPL_EXTERNAL_MODULE", true},
		{"npm_config_script_shell", true},
		{"NPM_CONFIG_SCRIPT_SHELL", true}, // npm reads its variables in any case
		{"Npm_Config_Node_Options", true},
		{"CLASSPATH", true},
		{"PERL5DB", true},
		{"GIT_SSH_COMMAND", true},
		{"GIT_CONFIG", true},
		{"GIT_CONFIG_COUNT", true},
		{"GIT_CONFIG_KEY_0", true},
		{"GIT_CONFIG_PARAMETERS", true},
		{"LUA_INIT", true},
		{"LUA_INIT_5_4", true},
		{"LUA_PATH_5_3", true},
		{"R_LIBS_USER", true},
		{"GST_PLUGIN_SCANNER", true},
		{"CORECLR_PROFILER_PATH_64", true},
		{"DOTNET_STARTUP_HOOKS", true},
		{"PYTEST_PLUGINS", true},
		{"MAGICK_CONFIGURE_PATH", true},
		{"GS_OPTIONS", true},
		{"KUBECONFIG", true},
		{"AWS_CONFIG_FILE", true},
		{"AWS_ACCESS_KEY_ID", false}, // credentials belong in secrets
		{"AWS_SECRET_ACCESS_KEY", false},
		{"MAGICK_TMPDIR", false},
		{"PATHEXT", false},
		{"MY_PATH", false},
		{"GIT_TOKEN", false},          // a credential apps keep in secrets
		{"GIT_COMMITTER_NAME", false}, // not a command
		{"NPM_TOKEN", false},
		{"npm_package_version", false},
		{"LESSKEYIN", true},
		{"LESSSECURE", false}, // makes less safer
		{"LUA", false},
		{"R_HOME", false},
		{"JAVA_VERSION", false},
		{"PYTHONSAFEPATH", false}, // makes Python safer
		{"PYTHONINSPECT", false},  // a REPL for a terminal's user, not code from the value
		{"PYTHONDONTWRITEBYTECODE", false},
		{"PS3", false},
		{"LDAP_URL", false}, // LD_ is a prefix with the underscore
		{"ENVIRONMENT", false},
		{"MY_ENV", false},
		{"BASH_ENVX", false},
		{"NODE_ENV", false},
		{"PYTHONUNBUFFERED", false},
		{"ld_preload", false}, // the loader reads upper case only
		{"DATABASE_URL", false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if got := isLoaderKey(tc.key); got != tc.want {
				t.Errorf("isLoaderKey(%q) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

// loaderFamilies is every family loaderKeys refuses whole, with members
// (the variables issue 18 reported first), near misses outside the family,
// and the inert members loaderExceptions lets through.
var loaderFamilies = []struct {
	family string
	keys   []string // refused
	inert  []string // accepted: outside the family, or an exception
}{
	{"git", []string{"GIT_TEST_FSMONITOR", "GIT_COMMON_DIR", "GIT_DIR", "GIT_SSH_COMMAND", "GIT_CONFIG_KEY_0", "GIT_EXEC_PATH", "GIT_TRACE2_EVENT", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_INDEX_FILE", "GIT_", "GIT_SOMETHING_NEW"},
		[]string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN", "git_dir"}},
	{"make", []string{"MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKEFILES", "MAKELEVEL", "MAKE", "MAKEOVERRIDES", "MAKE_RESTARTS"},
		[]string{"MFLAGSX", "CMAKE_BUILD_TYPE", "makeflags"}},
	{"vim and ex", []string{"VIMINIT", "GVIMINIT", "EXINIT", "VIM", "VIMRUNTIME", "MYVIMRC", "MYGVIMRC", "NVIM_APPNAME"},
		[]string{"VIMEO_TOKEN", "EXINITX"}},
	{"JDK launcher", []string{"JDK_ALTERNATE_VM", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "_JAVA_LAUNCHER_DEBUG", "_JAVA_SPLASH_JAR", "JAVA_TOOL_OPTIONS", "JAVA_HOME", "JAVA_OPTS", "CLASSPATH", "CATALINA_OPTS", "MAVEN_OPTS", "GRADLE_OPTS", "GRADLE_USER_HOME"},
		[]string{"JAVA_VERSION", "JAVASCRIPT_URL", "JDK"}},
	{"go command", []string{"GOROOT", "GOPATH", "GOFLAGS", "GOTOOLCHAIN", "GOEXPERIMENT", "GOCACHE", "GOCACHEPROG", "GOENV", "GOPROXY", "GOTOOLDIR", "CGO_ENABLED", "CGO_CFLAGS", "CGO_LDFLAGS", "CGO_ANYTHING", "CC", "CXX", "FC", "AR", "PKG_CONFIG", "GCCGO", "GCC_EXEC_PREFIX", "COMPILER_PATH"},
		[]string{"GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_API_KEY", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "CCACHE_DIR", "ARN"}},
	{"AWS shared files", []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"},
		[]string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"}},
	{"Python", []string{"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONUSERBASE", "PYTHONEXECUTABLE", "PYTHONCASEOK", "PYTHONMALLOC", "PYTHONSOMETHINGNEW"},
		[]string{"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONHASHSEED", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONINSPECT", "PYTHO"}},
	{"Node.js and npm", []string{"NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE", "NODE_V8_COVERAGE", "NODE_REDIRECT_WARNINGS", "npm_config_script_shell", "NPM_CONFIG_NODE_OPTIONS", "Npm_Config_Userconfig"},
		[]string{"NODE_ENV", "NODE_EXTRA_CA_CERTS", "NODE", "NPM_TOKEN", "npm_package_version"}},
	{"Perl", []string{"PERL5LIB", "PERLLIB", "PERL5OPT", "PERL5DB", "PERLIO", "PERL5SHELL", "PERL_MM_OPT"}, []string{"PER_USER"}},
	{"Ruby", []string{"RUBYOPT", "RUBYLIB", "RUBYPATH", "RUBYSHELL", "RUBY_TCL_DLL", "GEM_HOME", "GEM_PATH", "GEMRC", "BUNDLE_GEMFILE"}, []string{"BUNDLE_PATH", "RUB"}},
	{"shells", []string{"BASH_ENV", "ENV", "BASH_FUNC_f%%", "SHELLOPTS", "BASHOPTS", "BASH_LOADABLES_PATH", "PS4", "PROMPT_COMMAND", "ZDOTDIR", "FPATH"},
		[]string{"SHELL", "PS3", "ENVIRONMENT", "BASH_ENVX"}},
	{"less", []string{"LESS", "LESSOPEN", "LESSCLOSE", "LESSEDIT", "LESSKEY", "LESSKEYIN", "LESS_OSC8_man", "LESSMETACHARS"},
		[]string{"LESSSECURE", "LESSCHARSET"}},
	{"ssh, curl and OpenSSL", []string{"SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "CURL_HOME", "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES", "OPENSSL_TRACE"},
		[]string{"SSH_AUTH_SOCK", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSLKEYLOGFILE"}},
	{"dynamic loader", []string{"LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "LD_", "GCONV_PATH", "GLIBC_TUNABLES", "GETCONF_DIR", "DYLD_INSERT_LIBRARIES"},
		[]string{"LDAP_URL", "ld_preload", "LOCPATH", "MUSL_LOCPATH"}},
}

func TestLoaderFamilies(t *testing.T) {
	t.Parallel()
	for _, f := range loaderFamilies {
		for _, key := range f.keys {
			t.Run(f.family+"/refused/"+key, func(t *testing.T) {
				if !isLoaderKey(key) {
					t.Errorf("isLoaderKey(%q) = false, want true", key)
				}
			})
		}
		for _, key := range f.inert {
			t.Run(f.family+"/accepted/"+key, func(t *testing.T) {
				if isLoaderKey(key) {
					t.Errorf("isLoaderKey(%q) = true, want false", key)
				}
			})
		}
	}
}

// TestCheckDeniedFamilies is what `secretenv check` and the entrypoint
// decide for each family member: refused by name with the way out, and
// accepted when allowed by that exact name, which allows no sibling.
func TestCheckDeniedFamilies(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	for _, f := range loaderFamilies {
		for _, key := range f.keys {
			if !validKey(key) {
				continue // refused earlier, by checkVars
			}
			t.Run(f.family+"/"+key, func(t *testing.T) {
				vars := map[string]string{key: canary, "APP_SETTING": canary}
				err := checkDenied(vars, nil)
				want := "key " + key + " changes how programs load code and is refused; allow it with --allow-key " + key
				if err == nil || err.Error() != want {
					t.Fatalf("checkDenied = %v, want %q", err, want)
				}
				allowed, err := allowSet([]string{key})
				if err != nil {
					t.Fatal(err)
				}
				if err := checkDenied(vars, allowed); err != nil {
					t.Errorf("with --allow-key %s: %v", key, err)
				}
				sibling := key + "_SIBLING"
				if key == strings.ToLower(key) {
					sibling = key + "_sibling"
				}
				if !isLoaderKey(sibling) {
					return // an exact entry, not a family
				}
				vars[sibling] = canary
				if err := checkDenied(vars, allowed); err == nil || !strings.Contains(err.Error(), "key "+sibling+" ") {
					t.Errorf("--allow-key %s let %s through: %v", key, sibling, err)
				}
			})
		}
	}
}

// TestLoaderKeysGoEnvironment checks the go command's own environment
// against the go command that runs this test: every name `go help
// environment` documents and `go env -json` reports is refused, so a new Go
// release that adds one fails here until it is listed.
func TestLoaderKeysGoEnvironment(t *testing.T) {
	t.Parallel()
	help, err := exec.Command("go", "help", "environment").Output()
	if err != nil {
		t.Fatalf("go help environment: %v", err)
	}
	names := regexp.MustCompile(`(?m)^\t([A-Z][A-Z0-9_]+)$`).FindAllStringSubmatch(string(help), -1)
	if len(names) < 40 {
		t.Fatalf("go help environment lists %d names; its format changed", len(names))
	}
	envJSON, err := exec.Command("go", "env", "-json").Output()
	if err != nil {
		t.Fatalf("go env -json: %v", err)
	}
	var env map[string]string
	if err := json.Unmarshal(envJSON, &env); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range names {
		seen[m[1]] = true
	}
	for name := range env {
		seen[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		if !isLoaderKey(name) {
			t.Errorf("%s is part of the go command's environment but not refused; add it to loaderKeys", name)
		}
	}
}

// TestLoaderKeysShape keeps the lists coherent: no entry twice, no exact
// entry a family already covers, and every exception inside a family (an
// exception elsewhere would be dead text).
func TestLoaderKeysShape(t *testing.T) {
	t.Parallel()
	var prefixes []string
	seen := map[string]bool{}
	for _, e := range loaderKeys {
		if seen[e] {
			t.Errorf("%s is listed twice", e)
		}
		seen[e] = true
		if p, ok := strings.CutSuffix(e, "*"); ok {
			prefixes = append(prefixes, p)
		}
	}
	covered := func(name string) string {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) && name != p+"*" {
				return p + "*"
			}
		}
		return ""
	}
	for _, e := range loaderKeys {
		if p := covered(e); p != "" && !strings.HasSuffix(e, "*") {
			t.Errorf("%s is already covered by %s", e, p)
		}
	}
	for _, e := range loaderExceptions {
		if covered(e) == "" || seen[e] {
			t.Errorf("exception %s is not a member of a family, or is listed exactly", e)
		}
		if isLoaderKey(e) {
			t.Errorf("exception %s is refused", e)
		}
	}
}

func TestAllowSet(t *testing.T) {
	t.Parallel()
	got, err := allowSet([]string{"LD_PRELOAD", "NODE_OPTIONS", "LD_PRELOAD"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"LD_PRELOAD": true, "NODE_OPTIONS": true}; !maps.Equal(got, want) {
		t.Errorf("allowSet = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "LD_*", "A B", "1X"} {
		if _, err := allowSet([]string{"OK", bad}); err == nil || !strings.Contains(err.Error(), "--allow-key") {
			t.Errorf("allowSet(%q) = %v, want an error naming --allow-key", bad, err)
		}
	}
}

func TestCheckDenied(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	tests := []struct {
		name    string
		vars    map[string]string
		allowed []string
		want    string
	}{
		{"ordinary keys", map[string]string{"A": canary, "NODE_ENV": canary}, nil, ""},
		{"one loader key", map[string]string{"LD_PRELOAD": canary, "A": canary}, nil, "key LD_PRELOAD changes how programs load code and is refused; allow it with --allow-key LD_PRELOAD"},
		{"several sorted", map[string]string{"PYTHONPATH": canary, "BASH_ENV": canary}, nil, "key BASH_ENV, PYTHONPATH changes how programs load code and is refused; allow it with --allow-key BASH_ENV"},
		{"allowed", map[string]string{"LD_PRELOAD": canary}, []string{"LD_PRELOAD"}, ""},
		{"allowed by exact name only", map[string]string{"LD_LIBRARY_PATH": canary}, []string{"LD_PRELOAD"}, "key LD_LIBRARY_PATH changes how programs load code and is refused; allow it with --allow-key LD_LIBRARY_PATH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			allowed, err := allowSet(tc.allowed)
			if err != nil {
				t.Fatal(err)
			}
			err = checkDenied(tc.vars, allowed)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkDenied: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("checkDenied = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDeclaredSet(t *testing.T) {
	t.Parallel()
	if got, err := declaredSet(nil); got != nil || err != nil {
		t.Errorf("declaredSet(nil) = %v, %v; want no set", got, err)
	}
	got, err := declaredSet([]string{"A", "B", "A"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"A": true, "B": true}; !maps.Equal(got, want) {
		t.Errorf("declaredSet = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "A-B", "1X", "LD_*"} {
		if _, err := declaredSet([]string{"OK", bad}); err == nil || !strings.Contains(err.Error(), "--only-key") {
			t.Errorf("declaredSet(%q) = %v, want an error naming --only-key", bad, err)
		}
	}
}

func TestCheckDeclared(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	const refused = " is not declared by --only-key or --only-keys-from and is refused; declare it, or remove it from the secret"
	tests := []struct {
		name     string
		vars     map[string]string
		declared []string
		want     string
	}{
		{"no set accepts all", map[string]string{"A": canary, "LD_PRELOAD": canary}, nil, ""},
		{"all declared", map[string]string{"A": canary, "B": canary}, []string{"A", "B", "C"}, ""},
		{"empty secret", map[string]string{}, []string{"A"}, ""},
		{"one undeclared", map[string]string{"A": canary, "EXTRA": canary}, []string{"A"}, "key EXTRA" + refused},
		{"several sorted", map[string]string{"Z": canary, "B": canary, "A": canary}, []string{"A"}, "key B, Z" + refused},
		{"declared is exact, not a prefix", map[string]string{"AB": canary}, []string{"A"}, "key AB" + refused},
		{"case matters", map[string]string{"a": canary}, []string{"A"}, "key a" + refused},
		{"capped list", map[string]string{"K1": "", "K2": "", "K3": "", "K4": "", "K5": "", "K6": "", "K7": ""}, []string{"A"}, "key K1, K2, K3, K4, K5 and 2 more" + refused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			declared, err := declaredSet(tc.declared)
			if err != nil {
				t.Fatal(err)
			}
			err = checkDeclared(tc.vars, declared)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkDeclared: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("checkDeclared = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMergeEnv(t *testing.T) {
	t.Parallel()
	common := layer{ID: "app/common", Vars: map[string]string{"A": "common-a", "B": "common-b", "LOG": "info"}}
	prod := layer{ID: "app/prod", Vars: map[string]string{"B": "prod-b", "C": "prod-c"}}
	tests := []struct {
		name      string
		environ   []string
		layers    []layer
		refs      map[string]string // name -> value
		refSecret map[string]string
		override  bool
		want      mergeResult
	}{
		{
			name:    "no secrets keeps the environment",
			environ: []string{"PATH=/bin", "HOME=/root"},
			want:    mergeResult{Env: []string{"PATH=/bin", "HOME=/root"}},
		},
		{
			name:    "new names appended sorted after the environment",
			environ: []string{"PATH=/bin", "HOME=/root"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"Z": "z", "A": "a", "M": "m"}}},
			want: mergeResult{
				Env: []string{"PATH=/bin", "HOME=/root", "A=a", "M=m", "Z=z"},
				Set: map[string]source{"A": {Secret: "s"}, "M": {Secret: "s"}, "Z": {Secret: "s"}},
			},
		},
		{
			name:    "later layers replace earlier ones",
			environ: []string{"PATH=/bin"},
			layers:  []layer{common, prod},
			want: mergeResult{
				Env: []string{"PATH=/bin", "A=common-a", "B=prod-b", "C=prod-c", "LOG=info"},
				Set: map[string]source{"A": {Secret: "app/common"}, "B": {Secret: "app/prod"}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
			},
		},
		{
			name:    "the environment wins over every layer",
			environ: []string{"B=from-env", "PATH=/bin"},
			layers:  []layer{common, prod},
			want: mergeResult{
				Env:  []string{"B=from-env", "PATH=/bin", "A=common-a", "C=prod-c", "LOG=info"},
				Set:  map[string]source{"A": {Secret: "app/common"}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
				Kept: map[string]string{"B": "app/prod"},
			},
		},
		{
			name:    "set but empty counts as set",
			environ: []string{"A=", "LOG="},
			layers:  []layer{common},
			want: mergeResult{
				Env:  []string{"A=", "LOG=", "B=common-b"},
				Set:  map[string]source{"B": {Secret: "app/common"}},
				Kept: map[string]string{"A": "app/common", "LOG": "app/common"},
			},
		},
		{
			name:     "override replaces in place",
			environ:  []string{"B=from-env", "PATH=/bin"},
			layers:   []layer{common, prod},
			override: true,
			want: mergeResult{
				Env: []string{"B=prod-b", "PATH=/bin", "A=common-a", "C=prod-c", "LOG=info"},
				Set: map[string]source{"A": {Secret: "app/common"}, "B": {Secret: "app/prod", Override: true}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
			},
		},
		{
			name:      "references replace their variable",
			environ:   []string{"DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:db", "PATH=/bin"},
			refs:      map[string]string{"DB_PASSWORD": "hunter2"},
			refSecret: map[string]string{"DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
			want: mergeResult{
				Env: []string{"DB_PASSWORD=hunter2", "PATH=/bin"},
				Set: map[string]source{"DB_PASSWORD": {Secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", Ref: true}},
			},
		},
		{
			name:      "a secret key never replaces a reference",
			environ:   []string{"B=arn:aws:secretsmanager:us-east-1:123456789012:secret:b"},
			layers:    []layer{common, prod},
			refs:      map[string]string{"B": "from-ref"},
			refSecret: map[string]string{"B": "ref-b"},
			want: mergeResult{
				Env: []string{"B=from-ref", "A=common-a", "C=prod-c", "LOG=info"},
				Set: map[string]source{"A": {Secret: "app/common"}, "B": {Secret: "ref-b", Ref: true}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
			},
		},
		{
			name:      "a secret key never replaces a reference, even with override",
			environ:   []string{"B=arn:aws:secretsmanager:us-east-1:123456789012:secret:b"},
			layers:    []layer{prod},
			refs:      map[string]string{"B": "from-ref"},
			refSecret: map[string]string{"B": "ref-b"},
			override:  true,
			want: mergeResult{
				Env: []string{"B=from-ref", "C=prod-c"},
				Set: map[string]source{"B": {Secret: "ref-b", Ref: true}, "C": {Secret: "app/prod"}},
			},
		},
		{
			name:    "duplicates in the environment: the first wins",
			environ: []string{"A=first", "X=1", "A=second", "B=first", "B=second"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"B": "secret"}}},
			want: mergeResult{
				Env:  []string{"A=first", "X=1", "B=first"},
				Kept: map[string]string{"B": "s"},
			},
		},
		{
			name:     "duplicates in the environment with override: one entry, the secret's",
			environ:  []string{"B=first", "B=second"},
			layers:   []layer{{ID: "s", Vars: map[string]string{"B": "secret"}}},
			override: true,
			want: mergeResult{
				Env: []string{"B=secret"},
				Set: map[string]source{"B": {Secret: "s", Override: true}},
			},
		},
		{
			name:    "entries without '=' are dropped",
			environ: []string{"NOEQUALS", "A=1", "", "=empty-name"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"NOEQUALS": "from-secret"}}},
			want: mergeResult{
				Env: []string{"A=1", "=empty-name", "NOEQUALS=from-secret"},
				Set: map[string]source{"NOEQUALS": {Secret: "s"}},
			},
		},
		{
			name:    "values with '=' are kept whole",
			environ: []string{"DSN=a=b=c"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"DSN": "x", "Q": "k=v"}}},
			want: mergeResult{
				Env:  []string{"DSN=a=b=c", "Q=k=v"},
				Set:  map[string]source{"Q": {Secret: "s"}},
				Kept: map[string]string{"DSN": "s"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			environ := slices.Clone(tc.environ)
			got := mergeEnv(environ, tc.layers, tc.refs, tc.refSecret, tc.override)
			if !slices.Equal(environ, tc.environ) {
				t.Errorf("mergeEnv changed its environ argument to %q", environ)
			}
			if !slices.Equal(got.Env, tc.want.Env) {
				t.Errorf("Env = %q\nwant  %q", got.Env, tc.want.Env)
			}
			if !maps.Equal(got.Set, tc.want.Set) {
				t.Errorf("Set = %v, want %v", got.Set, tc.want.Set)
			}
			if !maps.Equal(got.Kept, tc.want.Kept) {
				t.Errorf("Kept = %v, want %v", got.Kept, tc.want.Kept)
			}
		})
	}
}

func TestLookupEnv(t *testing.T) {
	t.Parallel()
	environ := []string{"NOEQ", "A=", "B=1=2", "B=second", "C=c"}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"A", "", true},
		{"B", "1=2", true},
		{"C", "c", true},
		{"NOEQ", "", false},
		{"D", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := lookupEnv(environ, tc.name)
			if got != tc.want || ok != tc.ok {
				t.Errorf("lookupEnv(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// fuzzCanary is planted as a string value ahead of the fuzzer's bytes, so
// that even input that is not valid JSON carries a value the errors must not
// repeat. No four bytes of it occur in any message template.
const fuzzCanary = "Qz8vKw3Jx"

// FuzzMerge parses, validates, resolves references and merges as load does,
// with the fuzzer choosing the secret text and the environment, and checks
// properties rather than examples: no panic; every name in the result is a
// valid key or came from the environment; no NUL in a value set from a
// secret; each name once; and no error repeats four or more bytes of a
// string value of the secret, beyond what the message templates, the keys
// (which errors may name) and byte offsets explain.
func FuzzMerge(f *testing.F) {
	seeds := []struct{ secret, environ string }{
		{`{"A":"1","B":1.50,"C":null,"D":{"x":[1,2]},"E":true}`, "PATH=/bin\x00A=kept\x00HOME="},
		{`{"bad-key":"Qz8vKw3Jx","A":"x"}`, "PATH=/bin"},
		{`{"A":"a\u0000b"}`, ""},
		{`{"A":1,"A":2}`, "A=1"},
		{`{"LD_PRELOAD":"/tmp/x.so"}`, ""},
		{`["not","an","object"]`, ""},
		{`{"A":"unterminated`, ""},
		{`{} trailing`, ""},
		{`{"password":"hunter2","port":5432}`, "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::\x00PORT=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:port:AWSPREVIOUS:\x00WHOLE=arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
		{`plain text secret`, "TOKEN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:token"},
		{`{"A":"x"}`, "K=arn:aws:secretsmanager:us-east-1:123456789012:secret:s:nokey\x00NOEQ\x00=x\x00A=1\x00A=2"},
		{`{"A":"x"}`, "K=arn:aws:secretsmanager:bad"},
		{"", ""},
		{`{"A":"x\ud800y","B":"\ud83d\ude00"}`, ""},
		{`{"A":"\udc00","K\ud83d":1}`, ""},
		{"\xef\xbb\xbf{\"A\":\"1\"}", ""},
		{`{"password":"\ud800"}`, "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.secret), []byte(s.environ))
	}
	vocab := errorVocabulary()
	shapes := parseErrorShapes()
	f.Fuzz(func(t *testing.T, secret, environBytes []byte) {
		environ := strings.Split(string(environBytes), "\x00") // environ entries never hold NUL
		checkMerge(t, secret, environ, vocab, shapes)
		// The same bytes continuing a string value that starts with the
		// canary: whatever they turn the document into, no error may repeat
		// the canary.
		planted := append([]byte(`{"CANARY":"`+fuzzCanary), secret...)
		checkMerge(t, planted, environ, vocab, shapes)
	})
}

// checkMerge runs one secret text through the pure pipeline and checks the
// FuzzMerge properties.
func checkMerge(t *testing.T, secret []byte, environ []string, vocab string, shapes map[string]bool) {
	refs, refErr := findReferences(environ)
	vars, err := parseSecret(secret)
	if err != nil {
		// Go's JSON errors quote a single input byte, too short for the
		// window check below: parse errors must also have a known shape.
		keys, _ := jsonStrings(secret)
		if shape := errorShape(err.Error(), keys); !shapes[shape] {
			t.Fatalf("parse error %q has an unknown shape %q", err, shape)
		}
	}
	if err == nil {
		err = checkVars(vars)
	}
	if err == nil {
		err = checkDenied(vars, nil)
	}
	var vals, from map[string]string
	if refErr == nil {
		// Every reference resolves against this one secret text, as if each
		// had fetched it.
		texts := map[secretVersion]string{}
		for _, r := range refs {
			texts[r.Version] = string(secret)
		}
		vals, from, refErr = resolveReferences(refs, texts, nil)
	}
	for _, e := range []error{err, refErr} {
		if e != nil {
			checkNoLeak(t, secret, environ, refs, e.Error(), vocab)
		}
	}
	if err != nil || refErr != nil {
		return
	}

	res := mergeEnv(environ, []layer{{ID: "fuzz", Vars: vars}}, vals, from, false)
	inEnviron := map[string]bool{}
	names := map[string]bool{}
	for _, kv := range environ {
		if name, _, ok := strings.Cut(kv, "="); ok {
			names[name] = true
		}
		inEnviron[kv] = true
	}
	seen := map[string]bool{}
	for _, kv := range res.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("entry %q has no '='", kv)
		}
		if seen[name] {
			t.Fatalf("name %q appears twice in %q", name, res.Env)
		}
		seen[name] = true
		src, set := res.Set[name]
		switch {
		case !set && !inEnviron[kv]:
			t.Fatalf("entry %q neither set from a secret nor taken from the environment", kv)
		case set && !validKey(name) && !(src.Ref && names[name]):
			t.Fatalf("invalid name %q set from a secret", name)
		case set && strings.IndexByte(value, 0) >= 0:
			t.Fatalf("value of %q set from a secret holds a NUL", name)
		}
	}
	for name := range res.Set {
		if !seen[name] {
			t.Fatalf("%q is in Set but not in Env", name)
		}
	}
}

// checkNoLeak fails if msg repeats four or more consecutive bytes of a string
// value in secret that the templates (vocab), what an error may mention (the
// secret's top-level keys; the environment's names and values, and the
// json-keys and secret ids in them) and digits do not account for. Any leak of four or more bytes contains a
// four-byte window, so windows are enough.
func checkNoLeak(t *testing.T, secret []byte, environ []string, refs []reference, msg, vocab string) {
	keys, values := jsonStrings(secret)
	if strings.HasPrefix(string(secret), `{"CANARY":"`+fuzzCanary) {
		values = append(values, fuzzCanary) // planted even when the text is not JSON
	}
	var named []string
	for _, k := range keys {
		named = append(named, quoteKey(k), k)
	}
	for _, kv := range environ { // the environment is configuration, not secret
		name, value, _ := strings.Cut(kv, "=")
		named = append(named, name, value, strconv.Quote(value))
	}
	for _, r := range refs {
		named = append(named, quoteKey(r.JSONKey), r.JSONKey, r.Version.String())
	}
	// Longest first, so a key is removed whole before a shorter one inside it.
	slices.SortFunc(named, func(a, b string) int { return len(b) - len(a) })
	rest := msg
	for _, n := range named {
		if n != "" {
			rest = strings.ReplaceAll(rest, n, "\xff")
		}
	}
	rest = digits.ReplaceAllString(rest, "\xff")
	// A set of the message's windows keeps this linear: the fuzzer grows
	// inputs, and a quadratic check stalls it.
	inMsg := make(map[string]bool, len(rest))
	for i := 0; i+4 <= len(rest); i++ {
		inMsg[rest[i:i+4]] = true
	}
	for _, v := range values {
		for i := 0; i+4 <= len(v); i++ {
			w := v[i : i+4]
			if inMsg[w] && !strings.Contains(vocab, w) {
				t.Fatalf("error %q repeats %q from a secret value %q", msg, w, v)
			}
		}
	}
}

var digits = regexp.MustCompile(`[0-9]+`)

// jsonStrings walks text as far as it is valid JSON and returns the keys of
// the top-level object and every other string: values, array elements and
// nested keys, which become part of a variable's value. A token walk rather
// than json.Unmarshal, so that duplicate keys and the valid prefix of invalid
// input count too.
func jsonStrings(text []byte) (keys, values []string) {
	dec := json.NewDecoder(strings.NewReader(string(text)))
	type frame struct{ object, wantKey bool }
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys, values
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].wantKey
		if top >= 0 && stack[top].object {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				stack[top].wantKey = !stack[top].wantKey
			}
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey && top == 0 {
				keys = append(keys, tok)
			} else {
				values = append(values, tok)
			}
		}
	}
}

// errorShape is msg with the quoted keys and every run of digits replaced
// by \xff: what is left is the message's template.
func errorShape(msg string, keys []string) string {
	for _, k := range keys {
		msg = strings.ReplaceAll(msg, quoteKey(k), "\xff")
	}
	return digits.ReplaceAllString(msg, "\xff")
}

// parseErrorShapes is the shape of every error parseSecret returns.
func parseErrorShapes() map[string]bool {
	shapes := map[string]bool{}
	// 1E700 is valid JSON, but out of float64's range the decoder reports it
	// as an error without a syntax error's offset.
	for _, text := range []string{"", "[]", `{"A":1,"A":2}`, `{}x`, `{"A" 1}`, "1E700", `{"A":"\ud800"}`, `{"A\ud800":1}`, "\xef\xbb\xbf{}"} {
		_, err := parseSecret([]byte(text))
		shapes[errorShape(err.Error(), []string{"A"})] = true
	}
	return shapes
}

// errorVocabulary is the text of every error the pure core builds, made with
// keys of at most three bytes, so FuzzMerge can tell template words from
// leaked bytes.
func errorVocabulary() string {
	var b strings.Builder
	add := func(err error) {
		if err != nil {
			b.WriteString(err.Error())
			b.WriteByte('\n')
		}
	}
	for _, text := range []string{"", "[]", "{", `{"A":1,"A":2}`, `{}x`, `{"A" 1}`, `{"A":"`, `{"A":"\ud800"}`, "\xef\xbb\xbf{}"} {
		_, err := parseSecret([]byte(text))
		add(err)
	}
	add(checkVars(map[string]string{"a-b": "", "c-d": ""}))
	add(checkVars(map[string]string{"A": "\x00", "B": "\x00"}))
	add(checkDenied(map[string]string{"LD_": "", "ENV": ""}, nil))
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"
	for _, env := range [][]string{
		{"A=arn:aws:secretsmanager:x"},
		{"A=arn:aws:secretsmanager:us-east-1:123456789012:nope:s"},
		{"A=arn:aws:secretsmanager::123456789012:secret:s"},
		{"A=arn:aws:secretsmanager:us-east-1:1:secret:s"},
		{"A=arn:aws:secretsmanager:us-east-1:123456789012:secret:s\x01"},
		{"A=" + arn + strings.Repeat("x", maxSecretIDLen)},
	} {
		_, err := findReferences(env)
		add(err)
	}
	v := secretVersion{ID: "s"}
	refs := []reference{{Name: "A", Version: v, JSONKey: "k"}}
	for _, text := range []string{"x", `{"j":1}`, `{"k":"\u0000"}`} {
		_, _, err := resolveReferences(refs, map[secretVersion]string{v: text}, nil)
		add(err)
	}
	_, _, err := resolveReferences([]reference{{Name: "A", Version: v}}, map[secretVersion]string{v: "\x00"}, nil)
	add(err)
	return b.String()
}

// FuzzParseSecret checks parseSecret's fast path against the token-by-token
// parser: for every input both give the same variables or the same error,
// and the fast path never accepts what the strict parser rejects.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{
		`{"A":"x","B":1.50,"C":null,"D":{"x":[1,"a:b"]},"E":true}`,
		`{"A":1,"A":2}`, `{"A":1,"\u0041":2}`, `{"a\"b:":"c\\"}`,
		`{"A":"\ud800"}`, `{"A":"\udc00\ud83d\ude00"}`, `{"\ud83d":1}`, "\xef\xbb\xbf{}", "{\"A\":\"\xff\"}", `null`, `[]`, `"s"`, `{}`, `{} {}`, `{"A":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		strict, strictErr := parseSecretStrict(text)
		fast, ok := parseObject(text)
		if ok && (strictErr != nil || !maps.Equal(fast, strict)) {
			t.Fatalf("parseObject(%q) = %q, but the strict parser gives %q, %v", text, fast, strict, strictErr)
		}
		got, err := parseSecret(text)
		if fmt.Sprint(err) != fmt.Sprint(strictErr) || !maps.Equal(got, strict) {
			t.Fatalf("parseSecret(%q) = %q, %v; strict parser %q, %v", text, got, err, strict, strictErr)
		}
	})
}

// BenchmarkCheckDenied is the deny list over a 64 KiB secret's 2,000 keys,
// which every start pays: go test -run '^$' -bench CheckDenied -benchmem
func BenchmarkCheckDenied(b *testing.B) {
	vars := make(map[string]string, 2000)
	for i := range 2000 {
		vars[fmt.Sprintf("APP_SETTING_%04d", i)] = "x"
	}
	allowed := map[string]bool{}
	for b.Loop() {
		if err := checkDenied(vars, allowed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIsLoaderKey is the per-key cost alone, over names that miss,
// hit an exact entry, hit a family and hit an exception:
// go test -run '^$' -bench IsLoaderKey -benchmem
func BenchmarkIsLoaderKey(b *testing.B) {
	names := []string{"APP_SETTING_0001", "DATABASE_URL", "PATH", "GIT_SSH_COMMAND", "NODE_ENV", "npm_config_x", "ZZ_LAST", "LD_PRELOAD"}
	for b.Loop() {
		for _, n := range names {
			isLoaderKey(n)
		}
	}
}
