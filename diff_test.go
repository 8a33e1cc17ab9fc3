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
	same := map[string]string{"A": "1", "B": "2"}
	if d := diffVars(same, map[string]string{"A": "1", "B": "2"}, false); !d.equal() || d.same != 2 {
		t.Errorf("equal sets: %+v", d)
	}
	if d := diffVars(same, map[string]string{"A": "x", "B": ""}, true); !d.equal() {
		t.Errorf("--keys with different values: %+v", d)
	}
}

// TestNewDiffSide covers the rule that tells a file from a secret id.
func TestNewDiffSide(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "prod.env")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg, label string
		file       bool
		err        string
	}{
		{"-", "stdin", true, ""},
		{file, file, true, ""},
		{dir, dir, false, ""}, // a directory is no file: a secret id
		{"myapp/prod", "myapp/prod", false, ""},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf::AWSPREVIOUS:", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf::AWSPREVIOUS:", false, ""},
		{"my app.env", "", false, `diff: no file my app.env, and not a secret id: secret id "my app.env" contains a space`},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:app:KEY::", "", false, `names json-key "KEY"`},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			s, err := newDiffSide(tc.arg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("newDiffSide(%q) = %v, want an error containing %q", tc.arg, err, tc.err)
				}
				return
			}
			if err != nil || s.label != tc.label || s.file != tc.file {
				t.Errorf("newDiffSide(%q) = %+v, %v; want label %q, file %v", tc.arg, s, err, tc.label, tc.file)
			}
		})
	}
}
