package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRequiredKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string { return writeTestFile(t, dir, name, text) }
	example := write(".env.example", "# the app's settings\nDB_URL=\nAPI_KEY=changeme\nexport DEBUG=\n")
	tmpl := write("template.json", `{"DB_URL":"","SENTRY_DSN":null}`)
	badJSON := write("bad.json", `{"not-a-name":""}`)
	empty := write("empty.env", "# nothing yet\n")
	optional := write("optional.env", "DB_URL=\nSENTRY_DSN= # optional\nFEATURE_FLAGS='' # optional\n")
	tests := []struct {
		name string
		opts options
		want []string
		err  string
	}{
		{"none", options{}, nil, ""},
		{"names, sorted and once", options{require: []string{"B", "A", "B"}}, []string{"A", "B"}, ""},
		{"from .env.example", options{requireFrom: example}, []string{"API_KEY", "DB_URL", "DEBUG"}, ""},
		{"from JSON with names", options{require: []string{"DB_URL", "PORT"}, requireFrom: tmpl}, []string{"DB_URL", "PORT", "SENTRY_DSN"}, ""},
		{"bad name", options{require: []string{"A-B"}}, nil, `--require "A-B" is not a variable name`},
		{"empty name", options{require: []string{"A", ""}}, nil, `--require "" is not a variable name`},
		{"missing file", options{requireFrom: filepath.Join(dir, "nope")}, nil, "--require-from " + filepath.Join(dir, "nope") + ": no such file"},
		{"a typo one edit from a file", options{requireFrom: filepath.Join(dir, ".env.exmaple")}, nil, "--require-from " + filepath.Join(dir, ".env.exmaple") + ": no such file; did you mean " + filepath.Join(dir, ".env.example") + "?"},
		{"a letter dropped", options{requireFrom: filepath.Join(dir, "template.jsn")}, nil, "; did you mean " + filepath.Join(dir, "template.json") + "?"},
		{"a missing directory", options{requireFrom: filepath.Join(dir, "no", ".env")}, nil, "--require-from " + filepath.Join(dir, "no", ".env") + ": no such file"},
		{"bad key in JSON", options{requireFrom: badJSON}, nil, `--require-from ` + badJSON + `: key <10-byte key, not shown> is not a variable name`},
		{"template without keys", options{requireFrom: empty}, nil, "--require-from " + empty + " lists no keys"},
		{"optional keys are not required", options{requireFrom: optional}, []string{"DB_URL"}, ""},
		{"an optional key named by --require is", options{require: []string{"SENTRY_DSN"}, requireFrom: optional}, []string{"DB_URL", "SENTRY_DSN"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := requiredKeys(tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("requiredKeys = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("requiredKeys = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestDeclaredKeysWithOptional(t *testing.T) {
	t.Parallel()
	path := writeTestFile(t, t.TempDir(), ".env.example", "DB_URL=\nSENTRY_DSN= # optional\n")
	got, err := declaredKeys(options{onlyFrom: path})
	if err != nil || !got["DB_URL"] || !got["SENTRY_DSN"] || len(got) != 2 {
		t.Errorf("declaredKeys = %v, %v; want DB_URL and SENTRY_DSN, the optional one declared too", got, err)
	}
}

func TestCheckRequired(t *testing.T) {
	t.Parallel()
	res := mergeResult{
		Env: []string{"PATH=/bin", "HOME=", "DEBUG=", "DB_URL=postgres://x", "API_KEY=", "TOKEN="},
		Set: map[string]source{
			"DB_URL":  {Secret: "app/prod"},
			"API_KEY": {Secret: "app/prod"},
			"TOKEN":   {Secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-AbCdEf", Ref: true},
		},
		Kept: map[string]string{"DEBUG": "app/common"},
	}
	ids := []string{"app/common", "app/prod"}
	tests := []struct {
		name     string
		required []string
		ids      []string
		refs     int
		want     string
	}{
		{"nothing required", nil, ids, 0, ""},
		{"all set", []string{"DB_URL", "PATH"}, ids, 0, ""},
		{"missing", []string{"DB_URL", "REDIS_URL", "SENTRY_DSN"}, ids, 0,
			"required variables not set: missing REDIS_URL, SENTRY_DSN; looked in secrets app/common, app/prod, the environment; add them to a secret or set them in the environment"},
		{"empty from a secret", []string{"API_KEY"}, ids[1:], 0,
			"required variables not set: empty API_KEY (from secret app/prod); looked in secret app/prod, the environment; add them to a secret or set them in the environment"},
		{"empty in the environment over a secret", []string{"DEBUG"}, ids, 0,
			"empty DEBUG (set empty in the environment, which wins over secret app/common)"},
		{"empty in the environment", []string{"HOME"}, ids, 0, "empty HOME (set empty in the environment)"},
		{"empty from a reference", []string{"TOKEN"}, nil, 1,
			"empty TOKEN (from reference to arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-AbCdEf); looked in 1 reference, the environment"},
		{"missing and empty, every key named", []string{"API_KEY", "A", "Z"}, ids, 2,
			"missing A, Z; empty API_KEY (from secret app/prod); looked in secrets app/common, app/prod, 2 references, the environment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRequired(tc.required, res, tc.ids, tc.refs)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("checkRequired = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkRequired = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "postgres") {
				t.Errorf("the error holds a value: %v", err)
			}
		})
	}
}

// writeTestFile writes text to dir/name, private as a file of values is,
// and returns its path.
func writeTestFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTemplateKeys(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	tests := []struct {
		name, file, text string
		want             []string // nil: an error containing err
		err              string
	}{
		{"env example", ".env.example", "# the app's settings\nDATABASE_URL=postgres://" + canary + "\nexport DEBUG=\nSECRET_KEY='" + canary + "'\n", []string{"DATABASE_URL", "DEBUG", "SECRET_KEY"}, ""},
		{"JSON template", "template.json", `{"A":"` + canary + `","B":null,"C":{"x":1}}`, []string{"A", "B", "C"}, ""},
		{"dotenv by any other name", "app.env", "A=1\nB=2\n", []string{"A", "B"}, ""},
		{"empty dotenv", ".env.example", "# nothing yet\n", nil, "declares no keys"},
		{"empty JSON", "t.json", "{}", nil, "declares no keys"},
		{"malformed dotenv", ".env.example", "A=1\n" + canary + " oops\n", nil, "line 2"},
		{"malformed JSON", "t.json", `{"A":"` + canary, nil, "not valid JSON"},
		{"JSON key that is no variable name", "t.json", `{"A-B":"` + canary + `"}`, nil, `key <3-byte key, not shown> is not a variable name`},
		{"JSON that is not an object", "t.json", `["` + canary + `"]`, nil, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got, _, err := onlyFlags.templateKeys(path)
			if tc.want != nil {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("templateKeys = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "--only-keys-from") {
				t.Fatalf("templateKeys = %q, %v; want an error naming --only-keys-from and %q", got, err, tc.err)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error %q quotes a value", err)
			}
		})
	}
	if _, _, err := onlyFlags.templateKeys(filepath.Join(t.TempDir(), "missing.env")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("templateKeys(missing) = %v, want a no such file error", err)
	}
}

func TestDeclaredKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env.example")
	if err := os.WriteFile(path, []byte("B=\nC=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts options
		want []string // nil: no set
	}{
		{"neither", options{}, nil},
		{"--only-key", options{onlyKeys: []string{"A"}}, []string{"A"}},
		{"--only-keys-from", options{onlyFrom: path}, []string{"B", "C"}},
		{"both, a union", options{onlyKeys: []string{"A", "B"}, onlyFrom: path}, []string{"A", "B", "C"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := declaredKeys(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || !slices.Equal(sortedKeys(got), tc.want) && tc.want != nil {
				t.Errorf("declaredKeys = %v, want %q", got, tc.want)
			}
		})
	}
}
