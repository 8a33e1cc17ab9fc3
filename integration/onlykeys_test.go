package integration

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnlyKeys proves the closed alternative to the deny list: with a
// declared set (--only-key, SECRETENV_ONLY_KEYS, --only-keys-from or its
// twin), a secret key outside it is refused by name before exec, by the
// entrypoint, check and export alike; inside it, keys pass as usual.
func TestOnlyKeys(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1","B":"2","EXTRA":"3"}`)
	dir := t.TempDir()
	envExample := filepath.Join(dir, ".env.example")
	writeFile(t, envExample, "# what the app reads\nA=\nexport B=changeme\n")
	envExampleAll := filepath.Join(dir, "all.env.example")
	writeFile(t, envExampleAll, "A=\nB=\nEXTRA=\nNOT_IN_THE_SECRET='x'\n")
	template := filepath.Join(dir, "template.json")
	writeFile(t, template, `{"A":"","B":null}`)
	templateAll := filepath.Join(dir, "all.json")
	writeFile(t, templateAll, `{"A":"","B":"","EXTRA":{"any":"value"}}`)

	refused := []string{"key EXTRA is not declared", "--only-key"}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string // nil: the child runs and sees A, B and EXTRA
	}{
		{"--only-key", nil, []string{"--only-key", "A", "--only-key", "B"}, refused},
		{"SECRETENV_ONLY_KEYS", []string{"SECRETENV_ONLY_KEYS=A,B"}, nil, refused},
		{"--only-keys-from .env.example", nil, []string{"--only-keys-from", envExample}, refused},
		{"--only-keys-from a JSON template", nil, []string{"--only-keys-from", template}, refused},
		{"SECRETENV_ONLY_KEYS_FROM", []string{"SECRETENV_ONLY_KEYS_FROM=" + envExample}, nil, refused},
		{"--only-key adds to --only-keys-from", nil, []string{"--only-keys-from", template, "--only-key", "EXTRA"}, nil},
		{"--only-key, all declared", nil, []string{"--only-key", "A", "--only-key", "B", "--only-key", "EXTRA"}, nil},
		{"SECRETENV_ONLY_KEYS, all declared", []string{"SECRETENV_ONLY_KEYS=A,B,EXTRA,UNUSED"}, nil, nil},
		{"--only-keys-from .env.example, all declared", nil, []string{"--only-keys-from", envExampleAll}, nil},
		{"--only-keys-from a JSON template, all declared", nil, []string{"--only-keys-from", templateAll}, nil},
		{"--only-key beats SECRETENV_ONLY_KEYS", []string{"SECRETENV_ONLY_KEYS=A,B,EXTRA"}, []string{"--only-key", "A"}, []string{"B, EXTRA", "not declared"}},
		// The set says what a secret may carry, whether or not the
		// environment's own value would win.
		{"refused even when the environment has it", []string{"EXTRA=env"}, []string{"--only-key", "A", "--only-key", "B"}, refused},
		{"no set, every key", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name}, tc.env...)...)
			if tc.want == nil {
				wantVars(t, childEnv(t, env, tc.args...), map[string]string{"A": "1", "B": "2", "EXTRA": "3"})
				return
			}
			res := runSecretenv(t, env, "", append(tc.args, "--", "sh", "-c", "echo STARTED")...)
			checkRefused(t, res, append([]string{name + ":"}, tc.want...)...)
			for _, sub := range []string{"check", "export"} {
				res := runSecretenv(t, env, "", append(tc.args, sub)...)
				checkRefused(t, res, append([]string{name + ":"}, tc.want...)...)
				if res.Stdout != "" {
					t.Errorf("%s printed %q", sub, res.Stdout)
				}
			}
		})
	}
}

// TestOnlyKeysAndOtherRules proves how the declared set meets references,
// the deny list and --allow-key.
func TestOnlyKeysAndOtherRules(t *testing.T) {
	t.Parallel()
	t.Run("a reference is declared by the environment", func(t *testing.T) {
		t.Parallel()
		app := secretName(t, "app")
		createSecret(t, "us-east-1", app, `{"A":"1"}`)
		db := createSecret(t, "us-east-1", secretName(t, "db"), `{"password":"s3cret","user":"u"}`)
		env := withEnv(baseEnv(t), "SECRET_ID="+app, "DB_PASSWORD="+db+":password::", "DB="+db)
		wantVars(t, childEnv(t, env, "--only-key", "A"), map[string]string{"A": "1", "DB_PASSWORD": "s3cret", "DB": `{"password":"s3cret","user":"u"}`})
	})
	t.Run("the deny list applies inside the set", func(t *testing.T) {
		t.Parallel()
		app := secretName(t, "app")
		createSecret(t, "us-east-1", app, `{"A":"1","LD_PRELOAD":""}`)
		env := withEnv(baseEnv(t), "SECRET_ID="+app)
		res := runSecretenv(t, env, "", "--only-key", "A", "--only-key", "LD_PRELOAD", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "LD_PRELOAD", "--allow-key LD_PRELOAD")
		got := childEnv(t, env, "--only-key", "A", "--only-key", "LD_PRELOAD", "--allow-key", "LD_PRELOAD")
		wantVars(t, got, map[string]string{"A": "1", "LD_PRELOAD": ""})
	})
	t.Run("an undeclared key is refused as undeclared, allowed or not", func(t *testing.T) {
		t.Parallel()
		app := secretName(t, "app")
		createSecret(t, "us-east-1", app, `{"A":"1","PYTHONWARNINGS":"x"}`)
		env := withEnv(baseEnv(t), "SECRET_ID="+app)
		for _, args := range [][]string{
			{"--only-key", "A"},
			{"--only-key", "A", "--allow-key", "PYTHONWARNINGS"},
		} {
			res := runSecretenv(t, env, "", append(args, "--", "sh", "-c", "echo STARTED")...)
			checkRefused(t, res, "key PYTHONWARNINGS is not declared")
		}
	})
}

// TestOnlyKeysFromBeforeRequests proves that a template that cannot be read
// is refused with its own message before any request is sent.
func TestOnlyKeysFromBeforeRequests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, ".env.example")
	writeFile(t, bad, "A=1\nthis is not a variable\n")
	empty := filepath.Join(dir, "empty.json")
	writeFile(t, empty, "{}")
	badKey := filepath.Join(dir, "bad-key.json")
	writeFile(t, badKey, `{"A-B":""}`)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"missing file", nil, []string{"--only-keys-from", filepath.Join(dir, "missing")}, []string{"--only-keys-from", "missing", "no such file"}},
		{"malformed dotenv", nil, []string{"--only-keys-from", bad}, []string{"--only-keys-from", "line 2"}},
		{"no keys", nil, []string{"--only-keys-from", empty}, []string{"--only-keys-from", "declares no keys"}},
		{"key that is not a name", nil, []string{"--only-keys-from", badKey}, []string{"--only-keys-from", "key <3-byte key, not shown> is not a variable name"}},
		{"twin names a missing file", []string{"SECRETENV_ONLY_KEYS_FROM=" + filepath.Join(dir, "missing")}, nil, []string{"--only-keys-from", "no such file"}},
		{"stdin", nil, []string{"--only-keys-from", "-"}, []string{"--only-keys-from", "stdin"}},
		{"bad --only-key", nil, []string{"--only-key", "A-B"}, []string{`--only-key "A-B"`}},
		{"empty SECRETENV_ONLY_KEYS entry", []string{"SECRETENV_ONLY_KEYS=A,"}, nil, []string{`--only-key ""`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				writeSecret(w, req.SecretId, `{"A":"fine"}`)
			})
			env := fake.env(t, append([]string{"SECRET_ID=app"}, tc.env...)...)
			res := runSecretenv(t, env, "", append(tc.args, "--", "sh", "-c", "echo STARTED")...)
			checkRefused(t, res, tc.want...)
			if n := fake.requests.Load(); n != 0 {
				t.Errorf("secretenv sent %d requests before refusing the input", n)
			}
			if strings.Contains(res.Stderr, "not a variable\n") {
				t.Errorf("stderr quotes the template: %q", res.Stderr)
			}
		})
	}
}
