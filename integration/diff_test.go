package integration

import (
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
		{"a file name that does not exist", []string{staging, "./prod.env"}, "", 125, "", "; no file ./prod.env exists either"},
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
