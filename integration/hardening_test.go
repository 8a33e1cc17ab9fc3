package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deniedKeys covers every entry of the loader-key denylist (env.go
// loaderKeys), with several names for each prefix entry. PATH is denied too,
// but allowed it decides which program runs, so TestExitStatus covers it.
var deniedKeys = []string{
	"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_BIND_NOW",
	"DYLD_INSERT_LIBRARIES", "DYLD_LIBRARY_PATH",
	"BASH_FUNC_x", "BASH_FUNC_", "BASH_ENV", "ENV", "GCONV_PATH",
	"NODE_OPTIONS", "PYTHONPATH", "PYTHONSTARTUP", "PERL5LIB", "PERL5OPT",
	"RUBYOPT", "JAVA_TOOL_OPTIONS",
	"SHELLOPTS", "BASHOPTS", "PS4", "GLIBC_TUNABLES", "NODE_PATH", "PYTHONHOME",
	"PERLLIB", "RUBYLIB", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS",
	// Issue 15: code execution through variables the first list missed.
	"GETCONF_DIR",
	"PS0", "PS1", "PS2", "PROMPT_COMMAND", "ZDOTDIR", "FPATH",
	"BROWSER", "PAGER", "MANPAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "SUDO_ASKPASS",
	"LESSOPEN", "LESSCLOSE", "LESS", "LESSKEY", "LESSKEYIN", "LESSKEY_CONTENT",
	"PYTHONPLATLIBDIR", "PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONUSERBASE",
	"PYTHONPYCACHEPREFIX", "PYTHONEXECUTABLE", "GUNICORN_CMD_ARGS",
	"NODE_REPL_EXTERNAL_MODULE", "npm_config_script_shell", "NPM_CONFIG_NODE_OPTIONS", "Npm_Config_Userconfig",
	"CLASSPATH", "JAVA_OPTS", "CATALINA_OPTS", "JAVA_HOME",
	"DOTNET_STARTUP_HOOKS", "DOTNET_ADDITIONAL_DEPS", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH_64",
	"DOTNET_PROFILER_PATH", "CORECLR_ENABLE_PROFILING", "DOTNET_ENABLE_PROFILING",
	"PERL5DB", "RUBYPATH", "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE",
	"PHPRC", "PHP_INI_SCAN_DIR",
	"LUA_INIT", "LUA_INIT_5_4", "LUA_PATH", "LUA_PATH_5_4", "LUA_CPATH", "LUA_CPATH_5_4",
	"R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "R_LIBS", "R_LIBS_USER", "R_LIBS_SITE",
	"TCL_LIBRARY", "TCLLIBPATH",
	"ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ERL_LIBS", "ELIXIR_ERL_OPTIONS",
	"GOFLAGS",
	"GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR",
	"GIT_ASKPASS", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH", "GIT_CONFIG", "GIT_CONFIG_COUNT",
	"GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_GLOBAL",
	"GIT_DIR", "GIT_TEMPLATE_DIR",
	"OPENSSL_CONF", "OPENSSL_CONF_INCLUDE", "OPENSSL_ENGINES", "OPENSSL_MODULES",
	"KRB5_CONFIG", "KRB5_KDC_PROFILE", "SASL_PATH",
	"GIO_EXTRA_MODULES", "GIO_MODULE_DIR", "GTK_MODULES", "GTK3_MODULES", "GTK_PATH",
	"GST_PLUGIN_PATH", "GST_PLUGIN_SYSTEM_PATH_1_0", "GST_PLUGIN_SCANNER", "QT_PLUGIN_PATH",
	"MANOPT", "SUDO_EDITOR", "PYTEST_PLUGINS", "PYTEST_ADDOPTS", "MAVEN_OPTS", "GRADLE_OPTS",
	"GRADLE_USER_HOME", "GOENV", "MAGICK_CONFIGURE_PATH", "MAGICK_CODER_MODULE_PATH",
	"MAGICK_CODER_FILTER_PATH", "GS_OPTIONS", "GS_LIB", "AWS_CONFIG_FILE", "KUBECONFIG",
}

// allowedValue is a value for key that the child (env, a C program) can
// carry without its dynamic loader complaining on stderr.
func allowedValue(key string) string {
	if strings.HasPrefix(key, "LD_") {
		return ""
	}
	return "/nonexistent/secretenv-" + strings.ToLower(key)
}

// TestDeniedKeys proves that a secret cannot plant a key that changes how
// programs load code: each is refused before exec, by name, with the way out.
func TestDeniedKeys(t *testing.T) {
	t.Parallel()
	for _, key := range deniedKeys {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"OK":"fine","`+key+`":"x"}`)
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "sh", "-c", "echo STARTED")
			checkRefused(t, res, key, "--allow-key "+key)
		})
	}
	// bash imports BASH_FUNC_name%% as a function; the name is not a valid
	// variable name, so it is refused before the denylist is consulted, and
	// --allow-key cannot let it in.
	t.Run("BASH_FUNC_x%%", func(t *testing.T) {
		t.Parallel()
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, `{"BASH_FUNC_x%%":"() { id; }"}`)
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "<13-byte key, not shown>", "invalid variable name")
		res = runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--allow-key", "BASH_FUNC_x%%", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, `"BASH_FUNC_x%%"`, "--allow-key")
	})
	// Allowing one key does not allow another.
	t.Run("allowing one key only", func(t *testing.T) {
		t.Parallel()
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, `{"LD_PRELOAD":"","LD_AUDIT":"x"}`)
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--allow-key", "LD_PRELOAD", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "LD_AUDIT", "--allow-key LD_AUDIT")
		if strings.Contains(res.Stderr, "LD_PRELOAD") {
			t.Errorf("stderr names the allowed LD_PRELOAD: %q", res.Stderr)
		}
	})
	// The flag replaces its environment twin, as every flag does.
	t.Run("flag replaces SECRETENV_ALLOW_KEYS", func(t *testing.T) {
		t.Parallel()
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, `{"NODE_OPTIONS":"x"}`)
		env := withEnv(baseEnv(t), "SECRET_ID="+name, "SECRETENV_ALLOW_KEYS=NODE_OPTIONS")
		res := runSecretenv(t, env, "", "--allow-key", "PYTHONPATH", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "NODE_OPTIONS", "--allow-key NODE_OPTIONS")
	})
}

// checkRefused asserts a run that failed before exec, with one stderr line
// holding each of want.
func checkRefused(t *testing.T, res result, want ...string) {
	t.Helper()
	if res.Code != 125 {
		t.Errorf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
	}
	if strings.Contains(res.Stdout, "STARTED") {
		t.Errorf("the command started: stdout %q", res.Stdout)
	}
	checkOneLine(t, res.Stderr, want...)
}

// checkOneLine asserts that stderr is one "secretenv: " line holding each
// of want.
func checkOneLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "secretenv: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one secretenv: line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not contain %q", stderr, w)
		}
	}
}

// TestAllowedKeys proves both ways of opting a denied key in: the child then
// sees the secret's value.
func TestAllowedKeys(t *testing.T) {
	t.Parallel()
	for i, key := range deniedKeys {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"OK":"fine","`+key+`":"`+allowedValue(key)+`"}`)
			ways := []struct {
				name string
				env  []string
				args []string
			}{
				{"flag", nil, []string{"--allow-key", "PERL5LIB", "--allow-key", key}},
				{"env", []string{"SECRETENV_ALLOW_KEYS=PERL5LIB," + key}, nil},
			}
			// Each key one way, alternating, so that both ways are proven
			// without running 140 keys twice.
			for _, how := range ways[i%2 : i%2+1] {
				// Without the key in the environment, which would win.
				env := withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name, "-" + key}, how.env...)...)
				args := append(how.args, "--", "env", "-0")
				res := runSecretenv(t, env, "", args...)
				if res.Code != 0 {
					t.Fatalf("%s: exit %d, stderr %q", how.name, res.Code, res.Stderr)
				}
				got, ok := envOf(t, res.Stdout)[key]
				if !ok || got != allowedValue(key) {
					t.Errorf("%s: child saw %s=%q (set %v), want %q", how.name, key, got, ok, allowedValue(key))
				}
			}
		})
	}
	// The denylist is about secret content: a loader variable the image or
	// the task definition sets is the operator's choice and passes through.
	t.Run("set by the environment", func(t *testing.T) {
		t.Parallel()
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
		env := withEnv(baseEnv(t), "SECRET_ID="+name, "LD_LIBRARY_PATH=/nonexistent/lib", "NODE_OPTIONS=--max-old-space-size=64")
		res := runSecretenv(t, env, "", "--", "env", "-0")
		if res.Code != 0 {
			t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
		}
		got := envOf(t, res.Stdout)
		if got["LD_LIBRARY_PATH"] != "/nonexistent/lib" || got["NODE_OPTIONS"] != "--max-old-space-size=64" || got["OK"] != "fine" {
			t.Errorf("child saw LD_LIBRARY_PATH=%q NODE_OPTIONS=%q OK=%q", got["LD_LIBRARY_PATH"], got["NODE_OPTIONS"], got["OK"])
		}
	})
}

// TestSecretIDValidation proves that a bad SECRET_ID, --secret-id, reference
// or --allow-key is refused with its own message before any request: the
// endpoint is a fake server that must see none.
func TestSecretIDValidation(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app"
	long := strings.Repeat("a", 2049)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"empty entry", []string{"SECRET_ID=a,,b"}, nil, []string{"SECRET_ID", "empty"}},
		{"trailing comma", []string{"SECRET_ID=a,"}, nil, []string{"SECRET_ID", "empty"}},
		{"leading comma", []string{"SECRET_ID=,a"}, nil, []string{"SECRET_ID", "empty"}},
		{"only a comma", []string{"SECRET_ID=,"}, nil, []string{"SECRET_ID", "empty"}},
		{"empty flag", nil, []string{"--secret-id", ""}, []string{"empty"}},
		{"control character", []string{"SECRET_ID=a\x01b"}, nil, []string{"SECRET_ID", `"a\x01b"`, "control character"}},
		{"newline", []string{"SECRET_ID=app\nother"}, nil, []string{"SECRET_ID", `"app\nother"`, "control character"}},
		{"tab", []string{"SECRET_ID=app\t"}, nil, []string{"SECRET_ID", "control character"}},
		{"escape", []string{"SECRET_ID=app\x1b[31m"}, nil, []string{"SECRET_ID", `\x1b`, "control character"}},
		{"DEL", []string{"SECRET_ID=app\x7f"}, nil, []string{"SECRET_ID", "control character"}},
		{"C1 control", []string{"SECRET_ID=app\u009b31m"}, nil, []string{"SECRET_ID", `\u009b`, "control character"}},
		{"invalid UTF-8", []string{"SECRET_ID=app\xff"}, nil, []string{"SECRET_ID", `"app\xff"`, "not valid UTF-8"}},
		{"space", []string{"SECRET_ID=my app"}, nil, []string{"SECRET_ID", "space"}},
		{"too long", []string{"SECRET_ID=" + long}, nil, []string{"SECRET_ID", "2049 bytes", "2048"}},
		{"too long among others", []string{"SECRET_ID=app," + long}, nil, []string{"SECRET_ID", "2049 bytes"}},
		{"too long flag", nil, []string{"--secret-id", long}, []string{"2049 bytes"}},
		{"ARN too short", []string{"SECRET_ID=arn:aws:secretsmanager:us-east-1"}, nil, []string{"SECRET_ID", "malformed ARN", "arn:PARTITION"}},
		{"ARN bare", []string{"SECRET_ID=arn:"}, nil, []string{"SECRET_ID", "malformed ARN"}},
		{"ARN too many fields", []string{"SECRET_ID=" + arn + ":k:AWSCURRENT:v:extra"}, nil, []string{"SECRET_ID", "malformed ARN"}},
		{"ARN of another service", []string{"SECRET_ID=arn:aws:ssm:us-east-1:123456789012:secret:app"}, nil, []string{"SECRET_ID", "not a Secrets Manager secret"}},
		{"ARN of another resource", []string{"SECRET_ID=arn:aws:secretsmanager:us-east-1:123456789012:parameter:app"}, nil, []string{"SECRET_ID", "not a Secrets Manager secret"}},
		{"ARN without region", []string{"SECRET_ID=arn:aws:secretsmanager::123456789012:secret:app"}, nil, []string{"SECRET_ID", "region"}},
		{"ARN without partition", []string{"SECRET_ID=arn::secretsmanager:us-east-1:123456789012:secret:app"}, nil, []string{"SECRET_ID", "partition"}},
		{"ARN without name", []string{"SECRET_ID=arn:aws:secretsmanager:us-east-1:123456789012:secret:"}, nil, []string{"SECRET_ID", "name"}},
		{"ARN short account", []string{"SECRET_ID=arn:aws:secretsmanager:us-east-1:12345:secret:app"}, nil, []string{"SECRET_ID", "12 digits"}},
		{"ARN account not digits", []string{"SECRET_ID=arn:aws:secretsmanager:us-east-1:12345678901x:secret:app"}, nil, []string{"SECRET_ID", "12 digits"}},
		{"ARN with json-key", []string{"SECRET_ID=" + arn + ":password::"}, nil, []string{"SECRET_ID", "json-key"}},
		{"bad reference", []string{"DB=arn:aws:secretsmanager:us-east-1:1:secret:db"}, nil, []string{"DB:", "12 digits", "--no-references"}},
		{"reference too long", []string{"DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:" + long}, nil, []string{"DB:", "bytes; the limit is 2048"}},
		{"bad allow-key", []string{"SECRET_ID=app"}, []string{"--allow-key", "LD-PRELOAD"}, []string{`--allow-key "LD-PRELOAD"`}},
		{"bad SECRETENV_ALLOW_KEYS", []string{"SECRET_ID=app", "SECRETENV_ALLOW_KEYS=LD_PRELOAD,,"}, nil, []string{`--allow-key ""`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				writeSecret(w, req.SecretId, `{"OK":"fine"}`)
			})
			args := append(tc.args, "--", "sh", "-c", "echo STARTED")
			res := runSecretenv(t, fake.env(t, tc.env...), "", args...)
			checkRefused(t, res, tc.want...)
			if n := fake.requests.Load(); n != 0 {
				t.Errorf("secretenv sent %d requests before refusing the input", n)
			}
		})
	}
	// The limit is the API's own: 2048 bytes is still a valid id, so it
	// reaches the server.
	t.Run("2048 bytes", func(t *testing.T) {
		t.Parallel()
		id := strings.Repeat("a", 2048)
		fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
			if req.SecretId != id {
				writeAWSError(w, http.StatusBadRequest, "ResourceNotFoundException")
				return
			}
			writeSecret(w, req.SecretId, `{"OK":"fine"}`)
		})
		res := runSecretenv(t, fake.env(t, "SECRET_ID="+id), "", "--", "env", "-0")
		if res.Code != 0 || envOf(t, res.Stdout)["OK"] != "fine" {
			t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
		}
	})
}

// TestPythonWarningsExploit is issue 15's exploit: Python imports the module
// named in a PYTHONWARNINGS filter, and the standard library's antigravity
// opens $BROWSER, so these two keys run a shell command before the app.
// secretenv must refuse them and the marker must never appear. The controls
// prove that the test would have caught the hole: the same variables run the
// command when given to python3 directly, or through secretenv when both
// keys are allowed by name.
func TestPythonWarningsExploit(t *testing.T) {
	t.Parallel()
	exploit := func(t *testing.T) (marker string, vars []string, secret string) {
		marker = filepath.Join(t.TempDir(), "pwned")
		vars = []string{"PYTHONWARNINGS=all:0:antigravity.x:0:0", `BROWSER=/bin/sh -c "touch ` + marker + `" #%s`}
		obj := map[string]string{}
		for _, kv := range vars {
			k, v, _ := strings.Cut(kv, "=")
			obj[k] = v
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		return marker, vars, string(b)
	}
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }
	python := func(t *testing.T) {
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("python3 is not installed: the control cannot run")
		}
	}

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		marker, _, secret := exploit(t)
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, secret)
		for _, args := range [][]string{
			{"--", "python3", "-c", "print('STARTED')"},
			{"--override", "--", "python3", "-c", "print('STARTED')"},
			{"--allow-key", "BROWSER", "--", "python3", "-c", "print('STARTED')"},
		} {
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", args...)
			checkRefused(t, res, "PYTHONWARNINGS", "--allow-key")
			if exists(marker) {
				t.Fatalf("%q: the secret's shell command ran", args)
			}
		}
	})
	t.Run("control: python3 alone runs it", func(t *testing.T) {
		t.Parallel()
		python(t)
		marker, vars, _ := exploit(t)
		cmd := exec.Command("python3", "-c", "print(1)")
		cmd.Env = withEnv(baseEnv(t), vars...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python3: %v\n%s", err, out)
		}
		if !exists(marker) {
			t.Fatal("the exploit did not run under python3 alone: this test no longer proves anything")
		}
	})
	t.Run("control: allowed by name, it runs", func(t *testing.T) {
		t.Parallel()
		python(t)
		marker, _, secret := exploit(t)
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, secret)
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "",
			"--allow-key", "PYTHONWARNINGS", "--allow-key", "BROWSER", "--", "python3", "-c", "print(1)")
		if res.Code != 0 {
			t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
		}
		if !exists(marker) {
			t.Fatal("the allowed exploit did not run through secretenv: this test no longer proves anything")
		}
	})
}
