package integration

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// familyKeys names members of every family the deny list refuses whole
// (env.go loaderKeys), the ones reported in issue 18 first: each is refused
// by `secretenv check` and accepted by exact name with --allow-key.
var familyKeys = []string{
	"GIT_TEST_FSMONITOR", "GIT_COMMON_DIR", "GIT_TRACE2_EVENT", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
	"MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKEFILES", "MAKELEVEL",
	"VIMINIT", "GVIMINIT", "EXINIT", "VIM", "VIMRUNTIME", "MYVIMRC", "MYGVIMRC", "NVIM_APPNAME",
	"JDK_ALTERNATE_VM", "JDK_JAVA_OPTIONS", "_JAVA_LAUNCHER_DEBUG", "JAVA_TOOL_OPTIONS", "CLASSPATH",
	"GOROOT", "GOPATH", "GOFLAGS", "GOTOOLCHAIN", "GOEXPERIMENT", "GOCACHEPROG", "CGO_CFLAGS", "CC", "CXX", "GOCACHE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"PYTHONCASEOK", "NODE_V8_COVERAGE", "PERLIO", "RUBYSHELL", "GEMRC", "OPENSSL_TRACE",
	"LESSEDIT", "SSH_ASKPASS_REQUIRE", "CURL_HOME", "BASH_LOADABLES_PATH", "GCC_EXEC_PREFIX",
}

// TestFamiliesCheck runs `secretenv check` on a secret holding one family
// member: refused with exit 125 naming the key, and accepted when allowed
// by that exact name.
func TestFamiliesCheck(t *testing.T) {
	t.Parallel()
	for _, key := range familyKeys {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"OK":"fine","`+key+`":"/nonexistent/x"}`)
			env := withEnv(baseEnv(t), "SECRET_ID="+name)
			res := runSecretenv(t, env, "", "check")
			checkRefused(t, res, "key "+key+" changes how programs load code", "--allow-key "+key)
			if res = runSecretenv(t, env, "", "check", "--allow-key", key); res.Code != 0 {
				t.Errorf("check --allow-key %s: exit %d, stderr %q", key, res.Code, res.Stderr)
			}
		})
	}
}

// TestFamiliesRunCode proves the danger is real and that secretenv stops
// it: stock git, make and vim each run a command of the value's choosing
// (it creates a marker file) when the variable is set directly, but the
// same value in a secret is refused before exec and no marker appears.
// Allowed by name, the value reaches the program and runs, which shows the
// refused run was not simply a command that could not work.
func TestFamiliesRunCode(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"git", "make", "vim"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %s installed: %v", tool, err)
		}
	}
	vim := []string{"vim", "-n", "--not-a-term", "-c", "qa!"} // no -u: it would skip VIMINIT and EXINIT
	tests := []struct {
		name  string
		key   string
		value func(marker string) string
		cmd   []string
	}{
		{"git status runs GIT_TEST_FSMONITOR", "GIT_TEST_FSMONITOR", func(m string) string { return "touch " + m }, []string{"git", "status"}},
		{"make evaluates MAKEFLAGS --eval", "MAKEFLAGS", func(m string) string { return "--eval=$(shell touch " + m + ")" }, []string{"make"}},
		{"vim runs VIMINIT", "VIMINIT", func(m string) string { return `call system("touch ` + m + `")` }, vim},
		{"vim runs EXINIT", "EXINIT", func(m string) string { return `call system("touch ` + m + `")` }, vim},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			repo := filepath.Join(dir, "repo")
			// make 4.3 runs --eval's $(shell) before it sets its default
			// SHELL, so it needs SHELL in the environment, as a login shell
			// and CI runners set it.
			env := withEnv(baseEnv(t), "TERM=dumb", "SHELL=/bin/sh", "GIT_CONFIG_NOSYSTEM=1")
			gitInit(t, repo, env)
			marker := filepath.Join(dir, "MARKER")
			value := tc.value(marker)

			// Control: set directly, the value runs.
			runTool(t, repo, withEnv(env, tc.key+"="+value), tc.cmd...)
			if _, err := os.Stat(marker); err != nil {
				t.Fatalf("control: %s=%q set directly did not run (%v); the test proves nothing", tc.key, value, err)
			}
			if err := os.Remove(marker); err != nil {
				t.Fatal(err)
			}

			text, err := json.Marshal(map[string]string{"APP_SETTING": "fine", tc.key: value})
			if err != nil {
				t.Fatal(err)
			}
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, string(text))
			withSecret := withEnv(env, "SECRET_ID="+name)
			res := runSecretenvIn(t, repo, withSecret, append([]string{"--"}, tc.cmd...)...)
			checkRefused(t, res, "key "+tc.key+" changes how programs load code", "--allow-key "+tc.key)
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("through secretenv the marker exists (stat: %v): the value ran", err)
			}

			res = runSecretenvIn(t, repo, withSecret, append([]string{"--allow-key", tc.key, "--"}, tc.cmd...)...)
			if _, err := os.Stat(marker); err != nil {
				t.Errorf("with --allow-key %s the value did not reach %s (exit %d, stderr %q)", tc.key, tc.cmd[0], res.Code, res.Stderr)
			}
		})
	}
}

// gitInit makes a repository with a Makefile, so that git status has a
// work tree to scan and make a target to build.
func gitInit(t *testing.T, repo string, env []string) {
	t.Helper()
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "Makefile"), []byte("all:\n\t@true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runTool(t, repo, env, "git", "init", "-q", "."); res.Code != 0 {
		t.Fatalf("git init: exit %d: %s", res.Code, res.Stderr)
	}
}

// runTool runs a program in dir with env and stdin closed. The deadline
// only stops a hung program; nothing is asserted on time.
func runTool(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runProgram(t, dir, env, nil, args...)
}

// runSecretenvIn is runSecretenv in dir, so git and make find the
// repository.
func runSecretenvIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runTool(t, dir, env, append([]string{bin}, args...)...)
}
