package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTemplateFromFile(t *testing.T) {
	t.Parallel()
	const value = "s3cr3t-canary"
	pem := "-----BEGIN PRIVATE KEY-----\\n" + value + "\\n-----END PRIVATE KEY-----"
	tests := []struct {
		name, file, text string
		optional         []string
		want, err        string
	}{
		{"names only, sorted", ".env", "B=" + value + "\nA='" + value + "'\n", nil, "A=\nB=\n", ""},
		{"a multi-line value leaves no line", ".env", "KEY=\"" + strings.ReplaceAll(pem, "\\n", "\n") + "\"\nZ=1\n", nil, "KEY=\nZ=\n", ""},
		{"JSON", "t.json", `{"KEY":"` + pem + `","N":1.5}`, nil, "KEY=\nN=\n", ""},
		{"optional marks kept", ".env", "A=\nB= # optional\n", nil, "A=\nB='' # optional\n", ""},
		{"--optional marks a key", ".env", "A=" + value + "\nB=\n", []string{"A"}, "A='' # optional\nB=\n", ""},
		{"--optional of a key not there", ".env", "A=\n", []string{"C"}, "", "--optional C: no such key"},
		{"a value where a key belongs", "t.json", `{"` + value + `-x":""}`, nil, "", "not shown"},
		{"every problem of a .env", ".env", "A=$" + value + "\n" + value + "\n", nil, "", "2 problems: line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTestFile(t, t.TempDir(), tc.file, tc.text)
			var out bytes.Buffer
			err := run(t.Context(), append([]string{"template", "--from", path}, optionalArgs(tc.optional)...), nil, nil, &out, &out)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("template = %v, want an error containing %q", err, tc.err)
				}
			} else if err != nil || out.String() != tc.want {
				t.Fatalf("template = %q, %v; want %q", out.String(), err, tc.want)
			}
			if strings.Contains(out.String(), value) || err != nil && strings.Contains(err.Error(), value) {
				t.Errorf("the output or error holds a value: %q, %v", out.String(), err)
			}
		})
	}
}

func optionalArgs(names []string) []string {
	var args []string
	for _, n := range names {
		args = append(args, "--optional", n)
	}
	return args
}
