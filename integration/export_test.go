package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exportSecret is a secret whose values break naive quoting. Its JSON is
// written by hand so that the numbers and null go through secretenv's own
// conversion.
const exportSecret = `{
	"QUOTES": "it's \"quoted\" and \\back\\slashed\\",
	"DOLLARS": "$HOME ${HOME} $$ $(id) ` + "`id`" + `",
	"MULTILINE": "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
	"UNICODE": "ünïcødé ✓ 日本語",
	"EMPTY": "",
	"NUMBER": 1.50,
	"NULL": null,
	"KEPT": "from the secret"
}`

// exportSetup stores exportSecret and a reference secret, and returns an
// environment with SECRET_ID, a variable the secret also has (kept) and a
// reference, plus the names secretenv sets there.
func exportSetup(t *testing.T) (env []string, names []string) {
	t.Helper()
	id := createSecret(t, "us-east-1", secretName(t, "app"), exportSecret)
	ref := createSecret(t, "us-east-1", secretName(t, "db"), `{"password":"p@ss'word"}`)
	env = withEnv(baseEnv(t), "SECRET_ID="+id, "KEPT=from the environment", "DB_PASSWORD="+ref+":password")
	names = []string{"DB_PASSWORD", "DOLLARS", "EMPTY", "MULTILINE", "NULL", "NUMBER", "QUOTES", "UNICODE"}
	return env, names
}

// childSees runs the entrypoint form and returns what the command saw for
// names: the truth export must reproduce.
func childSees(t *testing.T, env []string, names []string) map[string]string {
	t.Helper()
	res := runSecretenv(t, env, "", "--", "env", "-0")
	if res.Code != 0 {
		t.Fatalf("secretenv -- env -0: exit %d: %s", res.Code, res.Stderr)
	}
	all := envOf(t, res.Stdout)
	want := map[string]string{}
	for _, n := range names {
		want[n] = all[n]
	}
	return want
}

func sameVars(t *testing.T, format string, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("export --format %s: %s = %q (present %v), the command saw %q", format, name, g, ok, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("export --format %s printed %s, which secretenv does not set", format, name)
		}
	}
}

// TestExportMatchesTheCommand proves that export prints exactly what the
// command would get from secretenv: only the names it sets, each value
// read back by the format's real consumer.
func TestExportMatchesTheCommand(t *testing.T) {
	t.Parallel()
	env, names := exportSetup(t)
	want := childSees(t, env, names)
	if want["KEPT"] != "" || want["NUMBER"] != "1.50" || want["DB_PASSWORD"] != "p@ss'word" {
		t.Fatalf("unexpected merge: %q", want)
	}

	t.Run("shell", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "export", "--format", "shell")
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		file := filepath.Join(t.TempDir(), "vars.sh")
		writeFile(t, file, res.Stdout)
		cmd := exec.Command("sh", "-c", `set -a; . "$1"; exec env -0`, "sh", file)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sourcing the export in sh: %v", err)
		}
		got := envOf(t, string(out))
		for name := range got {
			if !slices.Contains(names, name) {
				delete(got, name) // sh's own PATH, PWD, ...
			}
		}
		sameVars(t, "shell", got, want)
	})

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "--format=json", "export")
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
			t.Fatalf("export --format json is not a JSON object of strings: %v", err)
		}
		sameVars(t, "json", got, want)
	})

	t.Run("dotenv is the default, one sorted line per name", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "export")
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n") {
			name, _, _ := strings.Cut(line, "=")
			got = append(got, name)
		}
		if !slices.Equal(got, names) {
			t.Errorf("dotenv lines name %q, want %q", got, names)
		}
	})
}

// TestExportRefusesWholly checks that a value the format cannot carry stops
// export with 125, names the key, prints no value and leaves stdout empty.
func TestExportRefusesWholly(t *testing.T) {
	t.Parallel()
	env, _ := exportSetup(t)
	res := runSecretenv(t, env, "", "export", "--format", "env-file")
	if res.Code != 125 {
		t.Errorf("exit %d, want 125", res.Code)
	}
	if res.Stdout != "" {
		t.Errorf("stdout %q, want nothing", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "MULTILINE") || strings.Contains(res.Stderr, "BEGIN KEY") {
		t.Errorf("stderr %q should name MULTILINE and never show its value", res.Stderr)
	}
}

// TestCheck runs check as a deploy pipeline would.
func TestCheck(t *testing.T) {
	t.Parallel()
	env, names := exportSetup(t)
	t.Run("names and sources, never values", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "check")
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		if res.Stderr != "" {
			t.Errorf("stderr %q, want nothing on success", res.Stderr)
		}
		lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
		if len(lines) != len(names)+2 || !strings.HasPrefix(lines[0], "NAME ") {
			t.Fatalf("check printed %q; want a header and %d rows", res.Stdout, len(names)+1)
		}
		for _, want := range []string{"DB_PASSWORD", "reference to arn:aws:secretsmanager:us-east-1:", "KEPT", "environment, kept over secret", "QUOTES"} {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("check output lacks %q:\n%s", want, res.Stdout)
			}
		}
		for _, value := range []string{"p@ss", "from the secret", "BEGIN KEY", "1.50", "ünïcødé"} {
			if strings.Contains(res.Stdout, value) {
				t.Errorf("check printed the value %q", value)
			}
		}
	})
	t.Run("a missing secret fails with 125 and prints nothing", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+secretName(t, "missing")), "", "check")
		if res.Code != 125 || res.Stdout != "" || !strings.Contains(res.Stderr, "not found") {
			t.Errorf("exit %d, stdout %q, stderr %q; want 125, nothing, a not-found line", res.Code, res.Stdout, res.Stderr)
		}
	})
}

// TestVerbose checks the diagnostics a failing deploy needs, and that they
// never hold a value.
func TestVerbose(t *testing.T) {
	t.Parallel()
	env, _ := exportSetup(t)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{
			name: "--verbose",
			env:  env,
			args: []string{"--verbose", "--", "true"},
			want: []string{"region=us-east-1", "endpoint=" + motoURL, "attempts=1", "duration=", "source=EnvConfigCredentials",
				"name=QUOTES", "name=DB_PASSWORD", "resolved reference", "kept from environment", "name=KEPT"},
		},
		{
			name: "SECRETENV_LOG=debug with --override",
			env:  withEnv(env, "SECRETENV_LOG=debug"),
			args: []string{"--override", "--", "true"},
			want: []string{"region=us-east-1", "overridden", "name=KEPT", "name=MULTILINE"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, tc.env, "", tc.args...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(res.Stderr, want) {
					t.Errorf("verbose output lacks %q:\n%s", want, res.Stderr)
				}
			}
			for _, value := range []string{"p@ss", "from the secret", "BEGIN KEY", "1.50", "ünïcødé", "quoted", "testing"} {
				if strings.Contains(res.Stderr, value) {
					t.Errorf("verbose output holds the value %q:\n%s", value, res.Stderr)
				}
			}
		})
	}
	t.Run("a dead credential source fails the same way", func(t *testing.T) {
		t.Parallel()
		// No keys, and IMDS at a loopback port where nothing listens: the
		// chain fails. --verbose must not change the error the user reads
		// (it once spent the deadline on a retrieval of its own, leaving a
		// bare "context deadline exceeded"). One secret: with two, the
		// failure names whichever fetch saw it first.
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		dead := withEnv(env, "-DB_PASSWORD", "-AWS_ACCESS_KEY_ID", "-AWS_SECRET_ACCESS_KEY", "-AWS_EC2_METADATA_DISABLED",
			fmt.Sprintf("AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%d", port))
		plain := runSecretenv(t, dead, "", "--timeout", "2s", "--", "true")
		verbose := runSecretenv(t, dead, "", "--verbose", "--timeout", "2s", "--", "true")
		last := func(s string) string {
			lines := strings.Split(strings.TrimSpace(s), "\n")
			return lines[len(lines)-1]
		}
		if plain.Code != 125 || verbose.Code != 125 || last(plain.Stderr) != last(verbose.Stderr) {
			t.Errorf("plain: %d %q\nverbose: %d %q\nwant 125 and the same error line", plain.Code, plain.Stderr, verbose.Code, verbose.Stderr)
		}
	})
	t.Run("silent by default", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "--", "true")
		if res.Code != 0 || res.Stderr != "" {
			t.Errorf("exit %d, stderr %q; want 0 and nothing", res.Code, res.Stderr)
		}
	})
}

// TestCommandNamedLikeASubcommand runs a program called export: after --
// it is a command, not the subcommand.
func TestCommandNamedLikeASubcommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"ran export with ${NUMBER}\"\n"
	writeScript(t, dir, "export", script, 0o755)
	env, _ := exportSetup(t)
	env = withEnv(env, "PATH="+dir+":"+os.Getenv("PATH"))
	res := runSecretenv(t, env, "", "--", "export")
	if res.Code != 0 || res.Stdout != "ran export with 1.50\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want the program named export to run", res.Code, res.Stdout, res.Stderr)
	}
}
