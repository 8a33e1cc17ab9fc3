package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiff drives diff against moto: secret with secret, secret with a
// file, file with file, a .env.example template with --keys, stdin, and
// the exit statuses of diff(1): 0 same, 1 different, 125 error.
func TestDiff(t *testing.T) {
	t.Parallel()
	staging := secretName(t, "staging")
	prod := secretName(t, "prod")
	copyOf := secretName(t, "copy")
	loader := secretName(t, "loader")
	createSecret(t, "us-east-1", staging, `{"DB_URL":"pg://staging","PRICE":1.50,"DEBUG":"true","NEW_FLAG":"on"}`)
	createSecret(t, "us-east-1", prod, `{"DB_URL":"pg://prod","PRICE":"1.50","DEBUG":"true","OLD_KEY":"x"}`)
	createSecret(t, "us-east-1", copyOf, `{"NEW_FLAG":"on","DEBUG":"true","PRICE":"1.50","DB_URL":"pg://staging"}`)
	debugTrue, debugUpper, debugLower := secretName(t, "debug-true"), secretName(t, "debug-upper"), secretName(t, "debug-lower")
	createSecret(t, "us-east-1", debugTrue, `{"DEBUG":true}`)
	createSecret(t, "us-east-1", debugUpper, `{"DEBUG":"TRUE"}`)
	createSecret(t, "us-east-1", debugLower, `{"debug":true}`)
	createSecret(t, "us-east-1", loader, `{"LD_PRELOAD":"/tmp/evil.so","DEBUG":"true"}`)
	dir := t.TempDir()
	example := filepath.Join(dir, ".env.example")
	writeFile(t, example, "# every key the app reads\nDB_URL=\nPRICE=\nDEBUG=\nNEW_FLAG=\n")
	stagingEnv := filepath.Join(dir, "staging.env")
	writeFile(t, stagingEnv, "DB_URL=pg://staging\nPRICE=1.50\nDEBUG='true'\nNEW_FLAG=\"on\"\n")
	stagingJSON := filepath.Join(dir, "staging.json")
	writeFile(t, stagingJSON, `{"DB_URL":"pg://staging","PRICE":"1.50","DEBUG":true,"NEW_FLAG":"on"}`)
	badFile := filepath.Join(dir, "bad.env")
	writeFile(t, badFile, "DB_URL=pg://staging\nnot a line\n")
	env := baseEnv(t)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string // a part of the one line, when code is 125
	}{
		{"secret with secret", []string{staging, prod}, "", 1,
			"differs: DB_URL\nonly in " + staging + ": NEW_FLAG\nonly in " + prod + ": OLD_KEY\n2 identical keys\n", ""},
		{"secret with secret, --keys after the ids", []string{prod, staging, "--keys"}, "", 1,
			"only in " + staging + ": NEW_FLAG\nonly in " + prod + ": OLD_KEY\n3 keys in both\n", ""},
		{"equal secrets, keys in another order", []string{staging, copyOf}, "", 0, "4 identical keys\n", ""},
		{"secret with itself", []string{staging, staging}, "", 0, "4 identical keys\n", ""},
		{"--show-values", []string{"--show-values", staging, prod}, "", 1,
			"differs: DB_URL\n  " + staging + ": \"pg://staging\"\n  " + prod + ": \"pg://prod\"\n" +
				"only in " + staging + ": NEW_FLAG\n  " + staging + ": \"on\"\n" +
				"only in " + prod + ": OLD_KEY\n  " + prod + ": \"x\"\n2 identical keys\n", ""},
		{"secret with a dotenv file", []string{staging, stagingEnv}, "", 0, "4 identical keys\n", ""},
		{"file with a secret", []string{stagingJSON, prod}, "", 1,
			"differs: DB_URL\nonly in " + stagingJSON + ": NEW_FLAG\nonly in " + prod + ": OLD_KEY\n2 identical keys\n", ""},
		{"file with file", []string{stagingEnv, stagingJSON}, "", 0, "4 identical keys\n", ""},
		{"template with --keys", []string{"--keys", example, staging}, "", 0, "4 keys in both\n", ""},
		{"template with --keys, drift", []string{example, prod, "--keys"}, "", 1,
			"only in " + example + ": NEW_FLAG\nonly in " + prod + ": OLD_KEY\n3 keys in both\n", ""},
		{"template without --keys: empty values differ", []string{example, stagingEnv}, "", 1,
			"differs: DB_URL\ndiffers: DEBUG\ndiffers: NEW_FLAG\ndiffers: PRICE\n0 identical keys\n", ""},
		{"stdin", []string{"-", staging}, "DB_URL=pg://staging\nPRICE=1.50\nDEBUG=true\nNEW_FLAG=on\n", 0, "4 identical keys\n", ""},
		{"stdin differs", []string{staging, "-"}, "DB_URL=pg://other\n", 1,
			"differs: DB_URL\nonly in " + staging + ": DEBUG\nonly in " + staging + ": NEW_FLAG\nonly in " + staging + ": PRICE\n0 identical keys\n", ""},
		{"missing secret", []string{staging, secretName(t, "nope")}, "", 125, "", secretName(t, "nope") + ": secret not found in region us-east-1 (ResourceNotFoundException)"},
		{"a file name that does not exist", []string{staging, "./prod.env"}, "", 125, "", "./prod.env: no such file or directory"},
		{"a file-like word that is no file nor secret", []string{staging, "prod.env"}, "", 125, "", "; no file prod.env exists either"},
		{"values differ only in case", []string{debugTrue, debugUpper}, "", 1, "differs: DEBUG\n0 identical keys\n", ""},
		{"keys differ only in case", []string{debugTrue, debugLower}, "", 1, "only in " + debugTrue + ": DEBUG\nonly in " + debugLower + ": debug\n0 identical keys\n", ""},
		{"a bad file", []string{badFile, staging}, "", 125, "", "diff: " + badFile + ": line 2: expected NAME=value"},
		{"a json-key", []string{staging, "arn:aws:secretsmanager:us-east-1:123456789012:secret:x:KEY::"}, "", 125, "", "names json-key \"KEY\"; diff compares whole-object secrets"},
		{"one argument", []string{staging}, "", 125, "", "diff takes two arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, env, tc.stdin, append([]string{"diff"}, tc.args...)...)
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q, stderr %q", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			if res.Stdout != tc.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.Stdout, tc.stdout)
			}
			if tc.code == 125 {
				checkOneLine(t, res.Stderr, tc.stderr)
			} else if res.Stderr != "" {
				t.Errorf("stderr %q, want nothing", res.Stderr)
			}
			if !strings.Contains(strings.Join(tc.args, " "), "--show-values") && strings.Contains(res.Stdout+res.Stderr, "pg://") {
				t.Errorf("a value was printed without --show-values:\n%s%s", res.Stdout, res.Stderr)
			}
		})
	}

	// A key the entrypoint refuses is compared, with a note that the secret
	// would not load as it is; --allow-key silences the note.
	t.Run("loader key", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "diff", loader, prod, "--keys")
		if res.Code != 1 || !strings.Contains(res.Stdout, "only in "+loader+": LD_PRELOAD\n") {
			t.Errorf("exit %d, stdout %q", res.Code, res.Stdout)
		}
		checkOneLine(t, res.Stderr, "secretenv: note: "+loader+": key LD_PRELOAD", "diff compares it anyway")
		if strings.Contains(res.Stderr, "evil") {
			t.Errorf("stderr holds a value: %q", res.Stderr)
		}
		res = runSecretenv(t, env, "", "diff", "--allow-key", "LD_PRELOAD", loader, prod, "--keys")
		if res.Code != 1 || res.Stderr != "" {
			t.Errorf("with --allow-key: exit %d, stderr %q", res.Code, res.Stderr)
		}
	})
}

// runIn is runSecretenv with the working directory dir, where relative
// file names are looked up.
func runIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runProgram(t, dir, env, strings.NewReader(""), append([]string{bin}, args...)...)
}

// TestDiffFileNamedLikeSecret: a file in the checkout named like the
// secret (d/a), or like its ARN, must never stand in for it silently: a
// drift gate would then pass without a request. The bare word is refused
// as ambiguous, the ARN is always the secret, and the explicit forms work.
func TestDiffFileNamedLikeSecret(t *testing.T) {
	t.Parallel()
	name := secretName(t, "d/a")
	arn := createSecret(t, "us-east-1", name, `{"A":"1","B":"2"}`)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env.example"), "A=\nB=\nC=\n")
	// The file agrees with the template: were it read instead of the
	// secret, diff --keys would exit 0.
	for _, f := range []string{name, arn} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), "A=\nB=\nC=\n")
	}
	env := baseEnv(t)
	for _, tc := range []struct {
		name   string
		arg    string
		code   int
		stdout string
		stderr string
	}{
		{"bare word refused as ambiguous", name, 125, "", "secretenv: diff: " + name + " is both a file here and a secret id; write ./" + name + " or file:" + name + " for the file, secret:" + name + " for the secret\n"},
		{"secret: prefix is the secret", "secret:" + name, 1, "only in .env.example: C\n2 keys in both\n", ""},
		{"ARN is the secret", arn, 1, "only in .env.example: C\n2 keys in both\n", ""},
		{"./ is the file", "./" + name, 0, "3 keys in both\n", ""},
		{"file: is the file", "file:" + name, 0, "3 keys in both\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runIn(t, dir, env, "diff", "--keys", ".env.example", tc.arg)
			if res.Code != tc.code || res.Stdout != tc.stdout || res.Stderr != tc.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", res.Code, res.Stdout, res.Stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
