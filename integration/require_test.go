package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRequire proves required keys against moto: after the merge a missing
// or empty required variable stops secretenv with 125 and one line naming
// every such key, in exec (the command never starts) and in check alike.
func TestRequire(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"DB_URL":"postgres://db","API_KEY":"","DEBUG":"false"}`)
	dir := t.TempDir()
	example := filepath.Join(dir, ".env.example")
	writeFile(t, example, "# app settings\nDB_URL=\nDEBUG=\nexport PORT=8080\n")
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	marker := filepath.Join(dir, "started")
	tests := []struct {
		name  string
		env   []string
		args  []string
		code  int
		lines []string // in the one stderr line
	}{
		{"present", nil, []string{"--require", "DB_URL", "--require", "DEBUG"}, 0, nil},
		{"present from the environment", []string{"REDIS_URL=redis://x"}, []string{"--require", "REDIS_URL"}, 0, nil},
		{"missing", nil, []string{"--require", "DB_URL", "--require", "REDIS_URL", "--require", "SENTRY_DSN"}, 125,
			[]string{"required variables not set: missing REDIS_URL, SENTRY_DSN; looked in secret " + name + ", the environment"}},
		{"empty in the secret", nil, []string{"--require", "API_KEY"}, 125, []string{"empty API_KEY (from secret " + name + ")"}},
		{"empty in the environment beats the secret", []string{"DB_URL="}, []string{"--require", "DB_URL"}, 125,
			[]string{"empty DB_URL (set empty in the environment, which wins over secret " + name + ")"}},
		{"SECRETENV_REQUIRE", []string{"SECRETENV_REQUIRE=DB_URL,REDIS_URL"}, nil, 125, []string{"missing REDIS_URL;"}},
		{"from .env.example", nil, []string{"--require-from", example}, 125, []string{"missing PORT;"}},
		{"from .env.example, satisfied by the environment", []string{"PORT=8080"}, []string{"--require-from", example}, 0, nil},
		{"SECRETENV_REQUIRE_FROM", []string{"SECRETENV_REQUIRE_FROM=" + example}, nil, 125, []string{"missing PORT;"}},
		{"missing template file", nil, []string{"--require-from", filepath.Join(dir, "nope.env")}, 125, []string{"--require-from " + filepath.Join(dir, "nope.env") + ": no such file"}},
		{"bad name", nil, []string{"--require", "db-url"}, 125, []string{`--require "db-url" is not a variable name`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(env, tc.env...)
			t.Run("exec", func(t *testing.T) {
				marker := marker + strings.ReplaceAll(t.Name(), "/", "_")
				args := append(append([]string(nil), tc.args...), "--", "sh", "-c", `echo STARTED; touch "$0"`, marker)
				res := runSecretenv(t, env, "", args...)
				if res.Code != tc.code {
					t.Fatalf("exit %d, want %d; stderr %q", res.Code, tc.code, res.Stderr)
				}
				if tc.code == 0 {
					if !strings.Contains(res.Stdout, "STARTED") {
						t.Errorf("the command did not run: %q", res.Stdout)
					}
					return
				}
				if res.Stdout != "" || fileExists(marker) {
					t.Errorf("the command ran: stdout %q", res.Stdout)
				}
				checkOneLine(t, res.Stderr, tc.lines...)
				if strings.Contains(res.Stderr, "postgres://db") {
					t.Errorf("stderr holds a value: %q", res.Stderr)
				}
			})
			t.Run("check", func(t *testing.T) {
				res := runSecretenv(t, env, "", append([]string{"check"}, tc.args...)...)
				if res.Code != tc.code {
					t.Fatalf("exit %d, want %d; stderr %q", res.Code, tc.code, res.Stderr)
				}
				if tc.code == 0 {
					if !strings.Contains(res.Stdout, "DB_URL") {
						t.Errorf("check printed %q", res.Stdout)
					}
					return
				}
				if res.Stdout != "" {
					t.Errorf("check printed %q on failure", res.Stdout)
				}
				checkOneLine(t, res.Stderr, tc.lines...)
			})
		})
	}
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
