package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCommandHelp runs `CMD --help` and `help CMD` for every command that
// has a golden help file (the unit test TestCommandHelp makes sure every
// command has one) and compares the binary's output with it.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	goldens, err := filepath.Glob(filepath.Join("..", "testdata", "help-*.golden"))
	if err != nil || len(goldens) < 8 {
		t.Fatalf("found %d help goldens (%v), want one per command", len(goldens), err)
	}
	env := baseEnv(t)
	for _, golden := range goldens {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(golden), "help-"), ".golden")
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{name, "--help"}, {"help", name}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				res := runSecretenv(t, env, "", args...)
				if res.Code != 0 || res.Stdout != string(want) || res.Stderr != "" {
					t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant exit 0 and %s", res.Code, res.Stderr, res.Stdout, golden)
				}
			})
		}
	}
	t.Run("help alone", func(t *testing.T) {
		t.Parallel()
		want, err := os.ReadFile(filepath.Join("..", "testdata", "help.golden"))
		if err != nil {
			t.Fatal(err)
		}
		res := runSecretenv(t, env, "", "help")
		if res.Code != 0 || res.Stdout != string(want) {
			t.Errorf("exit %d, stdout differs from help.golden:\n%s", res.Code, res.Stdout)
		}
	})
}

// TestFirstDayErrors covers the mistakes of a newcomer's first hour: each
// gets one line that names the fix, with GNU env's exit statuses.
func TestFirstDayErrors(t *testing.T) {
	t.Parallel()
	id := createSecret(t, "us-east-1", secretName(t, "app"), `{"A":"1"}`)
	comma := createSecret(t, "us-east-1", secretName(t, "comma"), "{\n  \"A\": \"1\",\n  \"B\": \"2\",\n}")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env.example"), "A=\n")
	writeFile(t, filepath.Join(dir, "comma.json"), "{\n  \"A\": \"1\",\n}\n")
	// A program one edit from a subcommand, on PATH: it is run, not
	// second-guessed.
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "chek"), "#!/bin/sh\necho chek ran\n")
	if err := os.Chmod(filepath.Join(bin, "chek"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := withEnv(baseEnv(t), "-SECRET_ID")
	withID := withEnv(base, "SECRET_ID="+id)
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"a mistyped subcommand without a secret", base, []string{"lst"}, 125, "",
			"secretenv: no secret to load: set SECRET_ID or pass --secret-id (or set a variable to a Secrets Manager or Parameter Store ARN); did you mean list?\n"},
		{"a mistyped subcommand with a secret", withID, []string{"chek"}, 127, "",
			"secretenv: 'chek': command not found in PATH; did you mean check?\n"},
		{"a swapped subcommand", withID, []string{"lsit"}, 127, "", "did you mean list?\n"},
		{"a program of that name on PATH", withEnv(withID, "PATH="+bin+":"+os.Getenv("PATH")), []string{"chek"}, 0, "chek ran\n", ""},
		{"a word far from every subcommand", withID, []string{"no-such-program-xyz"}, 127, "",
			"secretenv: 'no-such-program-xyz': command not found in PATH\n"},
		{"a duration without a unit", withID, []string{"--timeout", "5", "--", "true"}, 125, "",
			"secretenv: --timeout \"5\" is not a duration; write a duration such as 5s\n"},
		{"a mistyped flag", withID, []string{"--verbos", "--", "true"}, 125, "",
			"secretenv: unknown flag --verbos; did you mean --verbose?\n"},
		{"a mistyped subcommand flag", withID, []string{"put", id, "--form", "x.json"}, 125, "",
			"secretenv: unknown flag --form; did you mean --from?\n"},
		{"a trailing comma at start-up", withEnv(base, "SECRET_ID="+comma), []string{"--", "true"}, 125, "",
			"secretenv: " + comma + ": secret is not valid JSON: line 3: a trailing comma after the last member; JSON allows none\n"},
		{"a trailing comma in put", base, []string{"put", id, "--from", filepath.Join(dir, "comma.json"), "--yes"}, 125, "",
			"line 2: not valid JSON: a trailing comma after the last member; JSON allows none\n"},
		{"a mistyped --require-from", withID, []string{"--require-from", filepath.Join(dir, ".env.exmaple"), "check"}, 125, "",
			"secretenv: --require-from " + filepath.Join(dir, ".env.exmaple") + ": no such file; did you mean " + filepath.Join(dir, ".env.example") + "?\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, tc.env, "", tc.args...)
			if res.Code != tc.code || res.Stdout != tc.stdout || !strings.HasSuffix(res.Stderr, tc.stderr) || strings.Count(res.Stderr, "\n") > 1 {
				t.Errorf("secretenv %q: exit %d, stdout %q, stderr %q; want %d, %q and one line ending %q",
					tc.args, res.Code, res.Stdout, res.Stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestExampleImagesHaveTheDatabaseDriver reads the examples as Docker would
// (Docker cannot run here): when the example secret's DATABASE_URL is a
// PostgreSQL URL, every example image must install a PostgreSQL driver, or
// each gunicorn worker fails to boot on its first database import.
func TestExampleImagesHaveTheDatabaseDriver(t *testing.T) {
	t.Parallel()
	secret, err := os.ReadFile(filepath.Join("..", "examples", "secret.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(secret), `"DATABASE_URL": "postgres`) {
		t.Skip("the example secret uses no PostgreSQL URL")
	}
	for _, file := range []string{"Dockerfile.example", filepath.Join("examples", "django", "Dockerfile")} {
		t.Run(file, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("..", file))
			if err != nil {
				t.Fatal(err)
			}
			var installs []string
			for _, line := range strings.Split(string(text), "\n") {
				if strings.HasPrefix(line, "RUN pip install") {
					installs = append(installs, line)
				}
			}
			joined := strings.Join(installs, "\n")
			if !strings.Contains(joined, "psycopg") || !strings.Contains(joined, "django") {
				t.Errorf("%s installs %q: want django and a PostgreSQL driver (psycopg[binary] or psycopg2-binary)", file, installs)
			}
		})
	}
}

// TestReadmeEmulatorRecipe runs the README's "Try it against a local
// emulator" commands as written, but for three stand-ins: the test's own
// moto_server replaces the one the recipe starts on port 5000 (a fixed
// port could be taken here), the built binary replaces ./secretenv, and
// the secret gets a name of its own in the shared emulator.
func TestReadmeEmulatorRecipe(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Try it against a local emulator")
	_, block, ok2 := strings.Cut(section, "```sh\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no sh block under \"Try it against a local emulator\"")
	}
	var lines []string
	for _, line := range strings.Split(block, "\n") {
		if strings.HasPrefix(line, "moto_server ") {
			continue
		}
		lines = append(lines, line)
	}
	script := strings.Join(lines, "\n")
	for _, want := range []string{"http://127.0.0.1:5000", "./secretenv", "myapp/dev"} {
		if !strings.Contains(script, want) {
			t.Fatalf("the recipe no longer holds %q; update this test:\n%s", want, script)
		}
	}
	script = strings.NewReplacer(
		"http://127.0.0.1:5000", motoURL,
		"./secretenv", bin,
		"myapp/dev", secretName(t, "readme"),
	).Replace(script)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = ".."
	cmd.Env = withEnv(baseEnv(t), "-AWS_ENDPOINT_URL_SECRETS_MANAGER", "-AWS_ACCESS_KEY_ID", "-AWS_SECRET_ACCESS_KEY", "-AWS_REGION")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DJANGO_SECRET_KEY") || !strings.HasSuffix(string(out), "workers: 4\n") {
		t.Errorf("the recipe failed (%v) or printed something else:\n%s", err, out)
	}
}

// TestTestShCounts runs test.sh's phase and gotest functions (not the whole
// script: that is the full suite) over one small test of internal/keys and
// checks the phase's one summary line names how many tests ran.
func TestTestShCounts(t *testing.T) {
	t.Parallel()
	script := `eval "$(sed -n '/^say()/p;/^times=()/,/^}/p;/^gotest() {/,/^}/p' test.sh)"
phase unit "one package" gotest -count=1 -run '^TestCheckDeclared$' ./internal/keys`
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^test\.sh: unit: [1-9][0-9]* tests passed in \d+s$`).Match(out) {
		t.Errorf("test.sh's phase printed (%v):\n%s\nwant a line \"test.sh: unit: N tests passed in Ns\"", err, out)
	}
}
