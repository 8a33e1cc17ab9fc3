package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

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
			got, err := onlyFlags.templateKeys(path)
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
	if _, err := onlyFlags.templateKeys(filepath.Join(t.TempDir(), "missing.env")); err == nil || !strings.Contains(err.Error(), "no such file") {
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
