package keys

import (
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

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
			if got := Valid(tc.key); got != tc.want {
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
			err := CheckNames(tc.vars)
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
			if !Valid(key) {
				continue // refused earlier, by checkVars
			}
			t.Run(f.family+"/"+key, func(t *testing.T) {
				vars := map[string]string{key: canary, "APP_SETTING": canary}
				err := CheckDenied(vars, nil)
				want := "key " + key + " changes how programs load code and is refused; allow it with --allow-key " + key
				if err == nil || err.Error() != want {
					t.Fatalf("checkDenied = %v, want %q", err, want)
				}
				allowed, err := AllowSet([]string{key})
				if err != nil {
					t.Fatal(err)
				}
				if err := CheckDenied(vars, allowed); err != nil {
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
				if err := CheckDenied(vars, allowed); err == nil || !strings.Contains(err.Error(), "key "+sibling+" ") {
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
	got, err := AllowSet([]string{"LD_PRELOAD", "NODE_OPTIONS", "LD_PRELOAD"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"LD_PRELOAD": true, "NODE_OPTIONS": true}; !maps.Equal(got, want) {
		t.Errorf("allowSet = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "LD_*", "A B", "1X"} {
		if _, err := AllowSet([]string{"OK", bad}); err == nil || !strings.Contains(err.Error(), "--allow-key") {
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
			allowed, err := AllowSet(tc.allowed)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckDenied(tc.vars, allowed)
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
	if got, err := DeclaredSet(nil); got != nil || err != nil {
		t.Errorf("declaredSet(nil) = %v, %v; want no set", got, err)
	}
	got, err := DeclaredSet([]string{"A", "B", "A"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"A": true, "B": true}; !maps.Equal(got, want) {
		t.Errorf("declaredSet = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "A-B", "1X", "LD_*"} {
		if _, err := DeclaredSet([]string{"OK", bad}); err == nil || !strings.Contains(err.Error(), "--only-key") {
			t.Errorf("declaredSet(%q) = %v, want an error naming --only-key", bad, err)
		}
	}
}

func TestCheckDeclared(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	const refused = " is not declared by --only-key or --only-keys-from and is refused; declare it, or remove it from the secret"
	const refusedMany = " are not declared by --only-key or --only-keys-from and are refused; declare them, or remove them from the secret"
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
		{"several sorted", map[string]string{"Z": canary, "B": canary, "A": canary}, []string{"A"}, "keys B, Z" + refusedMany},
		{"declared is exact, not a prefix", map[string]string{"AB": canary}, []string{"A"}, "key AB" + refused},
		{"case matters", map[string]string{"a": canary}, []string{"A"}, "key a" + refused},
		{"capped list", map[string]string{"K1": "", "K2": "", "K3": "", "K4": "", "K5": "", "K6": "", "K7": ""}, []string{"A"}, "keys K1, K2, K3, K4, K5 and 2 more" + refusedMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			declared, err := DeclaredSet(tc.declared)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckDeclared(tc.vars, declared)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkDeclared: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("checkDeclared = %v, want %q", err, tc.want)
			}
		})
	}
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
		if err := CheckDenied(vars, allowed); err != nil {
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

func TestCheckOperatorKeys(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		bad  string // a name the error must hold; "" for no error
	}{
		{"none", map[string]string{"DB_PASSWORD": "x", "SECRETENV_LOG": "debug"}, ""},
		{"template", map[string]string{"SECRETENV_SET_DATABASE_URL": "${password}"}, "SECRETENV_SET_DATABASE_URL"},
		{"file", map[string]string{"SECRETENV_FILE_TLS": "/etc/passwd"}, "SECRETENV_FILE_TLS"},
		{"prefix alone is not a setting", map[string]string{"SECRETENV_SET": "x"}, ""},
		{"lower case is another name", map[string]string{"secretenv_set_x": "x"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOperatorKeys(tc.vars)
			switch {
			case tc.bad == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
				t.Fatalf("error %v, want one naming %s", err, tc.bad)
			}
			if err != nil {
				for _, v := range tc.vars {
					if strings.Contains(err.Error(), v) {
						t.Fatalf("error %q holds a value", err)
					}
				}
			}
		})
	}
}
