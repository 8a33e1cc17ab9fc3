package keys

import (
	"fmt"
	"maps"
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
		{"bad name", map[string]string{"my-key": canary}, `invalid variable name "my-key"; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"several bad names sorted", map[string]string{"b.b": canary, "1a": canary, "OK": canary}, `invalid variable name "1a", "b.b"; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"empty name", map[string]string{"": canary}, `invalid variable name ""; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"control characters escaped", map[string]string{"A\nB\x00": canary}, `invalid variable name "A\nB\x00"; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"long name shortened", map[string]string{long: canary}, `invalid variable name "` + long[:64] + `"…; names must match [A-Za-z_][A-Za-z0-9_]*`},
		{"NUL in value", map[string]string{"A": canary + "\x00" + canary}, "value of A contains a NUL byte, which cannot be passed to a program"},
		{"NUL in several values", map[string]string{"B": "\x00", "A": "x\x00", "C": "ok"}, "value of A, B contains a NUL byte, which cannot be passed to a program"},
		{"bad name reported before NUL", map[string]string{"A": "\x00", "b-b": ""}, `invalid variable name "b-b"; names must match [A-Za-z_][A-Za-z0-9_]*`},
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
