package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pem is a key with its trailing newline, which must reach the file.
const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"

// TestFiles proves --file and its twin: the value is written byte for byte,
// mode 0600, and is gone from the command's environment; a composed value
// can be written too.
func TestFiles(t *testing.T) {
	t.Parallel()
	name := secretName(t, "tls")
	b, _ := json.Marshal(map[string]string{"TLS_KEY": pem, "password": "p w"})
	createSecret(t, "us-east-1", name, string(b))
	tests := []struct {
		name string
		env  func(path string) []string
		args func(path string) []string
		var_ string
		want string
	}{
		{"flag", nil, func(p string) []string { return []string{"--file", "TLS_KEY=" + p} }, "TLS_KEY", pem},
		{"twin", func(p string) []string { return []string{"SECRETENV_FILE_TLS_KEY=" + p} }, nil, "TLS_KEY", pem},
		{"composed value", nil, func(p string) []string {
			return []string{"--set", "URL=pg://u:${password|url}@h", "--file", "URL=" + p}
		}, "URL", "pg://u:p%20w@h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "value")
			env := withEnv(baseEnv(t), "SECRET_ID="+name)
			var args []string
			if tc.env != nil {
				env = withEnv(env, tc.env(path)...)
			}
			if tc.args != nil {
				args = tc.args(path)
			}
			// The child reads the file itself: it exists before the command starts.
			res := runOK(t, env, "", append(args, "--", "sh", "-c", `cat "$0"; printf '\000'; env -0`, path)...)
			content, envOut, _ := strings.Cut(res.Stdout, "\x00")
			if content != tc.want {
				t.Errorf("the command read %q from the file, want %q", content, tc.want)
			}
			if v, ok := envOf(t, envOut)[tc.var_]; ok {
				t.Errorf("%s is still in the environment (%d bytes)", tc.var_, len(v))
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}

// TestFileErrors proves every --file failure is 125 before the command
// starts, naming the variable and the path, never the value, and that
// nothing is written through a link.
func TestFileErrors(t *testing.T) {
	t.Parallel()
	name := secretName(t, "tls")
	createSecret(t, "us-east-1", name, `{"TLS_KEY":"k3y-v4lue"}`)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) []string // the arguments
		want  string
	}{
		{"symlink", func(t *testing.T, dir string) []string {
			if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			return []string{"--file", "TLS_KEY=" + filepath.Join(dir, "link")}
		}, "secretenv: --file TLS_KEY: DIR/link: is a symbolic link"},
		{"missing directory", func(t *testing.T, dir string) []string {
			return []string{"--file", "TLS_KEY=" + filepath.Join(dir, "no", "key")}
		}, "secretenv: --file TLS_KEY: DIR/no/key: directory DIR/no does not exist"},
		{"a directory", func(t *testing.T, dir string) []string {
			return []string{"--file", "TLS_KEY=" + dir}
		}, "secretenv: --file TLS_KEY: DIR: is a directory"},
		{"unknown name", func(t *testing.T, dir string) []string {
			return []string{"--file", "NOPE=" + filepath.Join(dir, "key")}
		}, "secretenv: --file NOPE: NOPE is not set after the merge"},
		{"twin, unknown name", func(t *testing.T, dir string) []string {
			return nil // the twin is set below
		}, "secretenv: SECRETENV_FILE_NOPE: NOPE is not set after the merge"},
		{"two names, one path", func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, "key")
			return []string{"--set", "B=x", "--file", "TLS_KEY=" + p, "--file", "B=" + p}
		}, "secretenv: --file TLS_KEY and --file B both write DIR/key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := withEnv(baseEnv(t), "SECRET_ID="+name)
			if strings.HasPrefix(tc.name, "twin") {
				env = withEnv(env, "SECRETENV_FILE_NOPE="+filepath.Join(dir, "key"))
			}
			args := tc.setup(t, dir)
			res := runSecretenv(t, env, "", append(slices.Clip(args), "--", "sh", "-c", "echo STARTED")...)
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") {
				t.Errorf("exit %d, stdout %q; want 125 and the command not run", res.Code, res.Stdout)
			}
			if !strings.HasPrefix(res.Stderr, want) || strings.Count(res.Stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", res.Stderr, want)
			}
			if strings.Contains(res.Stderr, "k3y-v4lue") {
				t.Errorf("stderr holds the value: %q", res.Stderr)
			}
			if _, err := os.Lstat(filepath.Join(dir, "target")); err == nil {
				t.Errorf("the link's target was written")
			}
			// check answers for the start: the same refusal, nothing written.
			res = runSecretenv(t, env, "", append(slices.Clip(args), "check")...)
			if res.Code != 125 || !strings.HasPrefix(res.Stderr, want) {
				t.Errorf("check: exit %d, stderr %q; want 125 and %q", res.Code, res.Stderr, want)
			}
		})
	}
}

// TestFileNotWrittenForBadCommand proves that a command that cannot start
// leaves no value on disk: the files are written after it is found.
func TestFileNotWrittenForBadCommand(t *testing.T) {
	t.Parallel()
	name := secretName(t, "tls")
	createSecret(t, "us-east-1", name, `{"TLS_KEY":"k"}`)
	path := filepath.Join(t.TempDir(), "key")
	res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--file", "TLS_KEY="+path, "--", "no-such-command-i21")
	if res.Code != 127 {
		t.Errorf("exit %d, want 127; stderr %q", res.Code, res.Stderr)
	}
	if _, err := os.Lstat(path); err == nil {
		t.Errorf("%s was written for a command that never started", path)
	}
	// A command given as a path is taken as it is, not looked up: it is
	// checked before the files are written, with execve's own statuses.
	for _, tc := range []struct {
		cmd  string
		code int
	}{{"/no/such/command", 127}, {"/etc/passwd", 126}, {"/", 126}} {
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--file", "TLS_KEY="+path, "--", tc.cmd)
		if res.Code != tc.code {
			t.Errorf("%s: exit %d, want %d; stderr %q", tc.cmd, res.Code, tc.code, res.Stderr)
		}
		if _, err := os.Lstat(path); err == nil {
			t.Fatalf("%s was written for %s, which never started", path, tc.cmd)
		}
	}
	// check shows where the value would go, and writes nothing.
	res = runOK(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--file", "TLS_KEY="+path, "check")
	if !strings.Contains(res.Stdout, "TLS_KEY → "+path) && !strings.Contains(res.Stdout, "→ "+path) {
		t.Errorf("check printed %q, want TLS_KEY → %s", res.Stdout, path)
	}
	if _, err := os.Lstat(path); err == nil {
		t.Errorf("check wrote %s", path)
	}
}

// TestWatchComposeAndFile proves a rotation under --watch: a new password
// changes both the composed URL and the file, the file rewritten before
// the command restarts.
func TestWatchComposeAndFile(t *testing.T) {
	t.Parallel()
	name := secretName(t, "rds")
	createSecret(t, "us-east-1", name, `{"username":"u","password":"old-pw1","host":"h"}`)
	path := filepath.Join(t.TempDir(), "pw")
	script := `trap 'exit 0' TERM; echo "start $DATABASE_URL file=$(cat "$0")"
i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name, "SECRETENV_SET_DATABASE_URL=pg://${username}:${password|url}@${host}", "SECRETENV_FILE_password="+path),
		watchArgs("--", "sh", "-c", script, path)...)
	w.waitFor(t, w.stdout.String, "start pg://u:old-pw1@h file=old-pw1")
	putSecret(t, name, `{"username":"u","password":"new pw2","host":"h"}`)
	w.waitFor(t, w.stdout.String, "start pg://u:new%20pw2@h file=new pw2")
	if stderr := w.stderr.String(); strings.Contains(stderr, "pw1") || strings.Contains(stderr, "pw2") {
		t.Errorf("stderr holds a value: %q", stderr)
	}
}
