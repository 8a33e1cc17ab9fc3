package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteDiff pins diff's output: sorted lines, the count, and values
// only with --show-values, quoted.
func TestWriteDiff(t *testing.T) {
	t.Parallel()
	a := &diffSide{label: "app/staging", vars: map[string]string{"SAME": "1", "PRICE": "1.50", "DB": "pg://staging", "NEW": "x\x1b[31m"}}
	b := &diffSide{label: ".env.example", vars: map[string]string{"SAME": "1", "PRICE": "1.5", "DB": "pg://prod", "OLD": ""}}
	tests := []struct {
		name string
		opts options
		want string
	}{
		{"values compared, not shown", options{}, "differs: DB\nonly in app/staging: NEW\nonly in .env.example: OLD\ndiffers: PRICE\n1 identical key\n"},
		{"--keys", options{keysOnly: true}, "only in app/staging: NEW\nonly in .env.example: OLD\n3 keys in both\n"},
		{"--show-values", options{showValues: true}, "differs: DB\n  app/staging: \"pg://staging\"\n  .env.example: \"pg://prod\"\n" +
			"only in app/staging: NEW\n  app/staging: \"x\\x1b[31m\"\n" +
			"only in .env.example: OLD\n  .env.example: \"\"\n" +
			"differs: PRICE\n  app/staging: \"1.50\"\n  .env.example: \"1.5\"\n1 identical key\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := diffVars(a.vars, b.vars, tc.opts.keysOnly)
			var out bytes.Buffer
			if err := writeDiff(&out, a, b, d, tc.opts); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), tc.want)
			}
			if d.equal() {
				t.Error("equal() = true for different sets")
			}
		})
	}
	// Values and keys compare byte for byte: an environment variable is
	// case-sensitive, and DEBUG=true and DEBUG=TRUE are different settings
	// that a drift gate must not pass.
	for _, tc := range []struct {
		name string
		a, b map[string]string
	}{
		{"value case", map[string]string{"DEBUG": "true"}, map[string]string{"DEBUG": "TRUE"}},
		{"key case", map[string]string{"DEBUG": "1"}, map[string]string{"debug": "1"}},
		{"trailing space", map[string]string{"A": "x"}, map[string]string{"A": "x "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := diffVars(tc.a, tc.b, false); d.equal() {
				t.Errorf("diffVars(%v, %v) found them equal", tc.a, tc.b)
			}
		})
	}
	same := map[string]string{"A": "1", "B": "2"}
	if d := diffVars(same, map[string]string{"A": "1", "B": "2"}, false); !d.equal() || d.same != 2 {
		t.Errorf("equal sets: %+v", d)
	}
	if d := diffVars(same, map[string]string{"A": "x", "B": ""}, true); !d.equal() {
		t.Errorf("--keys with different values: %+v", d)
	}
}

// TestNewDiffSide covers the rule that tells a file from a secret id: by
// the argument's text alone, so that a file created later cannot make a
// word that meant a secret mean a file.
func TestNewDiffSide(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // not parallel: relative names are looked up here
	for _, f := range []string{"prod.env", "d/a", ".env.example"} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir("prod", 0o700); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:d/a"
	if err := os.MkdirAll(filepath.Dir(arn), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(arn, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, arg string
		path      string // the file read or the secret id fetched
		file      bool
		err       string
	}{
		{"stdin", "-", "-", true, ""},
		{"absolute path", filepath.Join(dir, "prod.env"), filepath.Join(dir, "prod.env"), true, ""},
		{"dot slash", "./d/a", "./d/a", true, ""},
		{"dot file", ".env.example", ".env.example", true, ""},
		{"file: prefix", "file:d/a", "d/a", true, ""},
		{"secret: prefix", "secret:d/a", "d/a", false, ""},
		{"secret: prefix of a dot name", "secret:.hidden", ".hidden", false, ""},
		{"a directory is no file", "prod", "prod", false, ""},
		{"a word with no file", "myapp/prod", "myapp/prod", false, ""},
		{"a word that is also a file", "d/a", "", false, "diff: d/a is both a file here and a secret id; write ./d/a or file:d/a for the file, secret:d/a for the secret"},
		{"a file name with a dot, also a file", "prod.env", "", false, "write ./prod.env or file:prod.env for the file"},
		{"an ARN is never a file", arn, arn, false, ""},
		{"a stage is never a file", "d/a::AWSPREVIOUS:", "d/a", false, ""}, // the name, its stage apart
		{"empty file:", "file:", "", false, "file: needs a path"},
		{"not an id", "my app.env", "", false, `diff: my app.env is not a secret id: secret id "my app.env" contains a space`},
		{"json-key", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app:KEY::", "", false, `names json-key "KEY"`},
		{"a Parameter Store path", "ssm:/myapp/prod", "", false, "diff: ssm:/myapp/prod is a Parameter Store path, and diff compares secrets and files; pipe its variables in"},
		{"a Parameter Store path after secret:", "secret:ssm:/myapp/prod", "", false, "is a Parameter Store path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newDiffSide(tc.arg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("newDiffSide(%q) = %v, want an error containing %q", tc.arg, err, tc.err)
				}
				return
			}
			label := tc.arg
			if label == "-" {
				label = "stdin"
			}
			if err != nil || s.label != label || s.file != tc.file || (tc.file && s.arg != tc.path) || (!tc.file && s.version.ID != tc.path && !strings.HasPrefix(tc.path, "arn:")) {
				t.Errorf("newDiffSide(%q) = %+v, %v; want %q, file %v", tc.arg, s, err, tc.path, tc.file)
			}
		})
	}
}
