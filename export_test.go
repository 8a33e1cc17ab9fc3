package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
)

// The flag has its own name so that it cannot clash with another golden test
// of the package: go test . -run 'Export|Check' -update-export
var updateExport = flag.Bool("update-export", false, "rewrite testdata/*.golden of export and check")

// nastyValues are values that break naive quoting: quotes of every kind,
// shell and Compose expansion, backslashes in every position, line breaks,
// comment marks, leading and trailing blanks, UTF-8 and the empty string.
var nastyValues = []string{
	"",
	"plain",
	"it's",
	"''",
	`"double"`,
	`say "hi" to 'them'`,
	"$HOME ${HOME} $$ $1 $ ${",
	"$(id) `id` ; rm -rf / &",
	`back\slash`,
	`trailing backslash\`,
	`\`,
	`\\`,
	`\'`,
	`\"`,
	`\n is not a newline`,
	`\$HOME`,
	"line1\nline2\n",
	"\n",
	"cr\r\nlf\r",
	"tab\there\t",
	"# not a comment",
	"value # not a comment either",
	"  leading and trailing  ",
	"ünïcødé ✓ 日本語 🙂",
	"=equals=at=the=ends=",
	"-n",
	"\x01\x1b[31m\x7f",
	`{"json": ["a", 1, null]}`,
	"'$'\\n'\"`",
}

// nastyResult is a mergeResult that sets V00, V01, ... to values, with
// unrelated variables around them that export must leave out.
func nastyResult(values []string) (mergeResult, map[string]string) {
	res := mergeResult{
		Env:  []string{"PATH=/usr/bin:/bin", "KEPT=from the environment"},
		Set:  map[string]source{},
		Kept: map[string]string{"KEPT": "app/prod"},
	}
	want := map[string]string{}
	for i, v := range values {
		name := fmt.Sprintf("V%02d", i)
		res.Env = append(res.Env, name+"="+v)
		res.Set[name] = source{Secret: "app/prod"}
		want[name] = v
	}
	return res, want
}

func export(t *testing.T, res mergeResult, format string) string {
	t.Helper()
	var out bytes.Buffer
	if err := writeExport(&out, res, format); err != nil {
		t.Fatalf("export --format %s: %v", format, err)
	}
	return out.String()
}

// compareVars reports each name whose value differs, quoting both with %q.
func compareVars(t *testing.T, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s missing after the round trip (want %q)", name, w)
		case g != w:
			t.Errorf("%s = %q after the round trip, want %q", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s appeared but secretenv did not set it", name)
		}
	}
}

// TestExportShellRoundTrip reads the shell format back through the real sh
// (dash on Debian), both sourced under set -a and through eval.
func TestExportShellRoundTrip(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("sh is needed to test the shell format: ", err)
	}
	values := append([]string{"\xff\xfe not UTF-8"}, nastyValues...) // sh carries any byte
	res, want := nastyResult(values)
	file := filepath.Join(t.TempDir(), "vars.sh")
	if err := os.WriteFile(file, []byte(export(t, res, "shell")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, script string }{
		{"set -a and dot", `set -a; . "$1"; exec env -0`},
		{"eval", `eval "$(cat "$1")"; exec env -0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(sh, "-c", tc.script, "sh", file)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("sh: %v: %s", err, stderr.String())
			}
			got := map[string]string{}
			for _, kv := range strings.Split(string(out), "\x00") {
				if name, value, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, "V") {
					got[name] = value
				}
			}
			compareVars(t, got, want)
		})
	}
}

// TestExportJSONRoundTrip reads the json format back with Python's json
// module, which writes each pair NUL-separated so any value survives.
func TestExportJSONRoundTrip(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to test the json format: ", err)
	}
	res, want := nastyResult(nastyValues)
	const script = `import json, sys
d = json.load(sys.stdin)
assert list(d) == sorted(d), "keys are not sorted"
sys.stdout.buffer.write(b"".join((k + "=" + v).encode() + b"\0" for k, v in d.items()))`
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = strings.NewReader(export(t, res, "json"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v: %s", err, stderr.String())
	}
	got := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		name, value, _ := strings.Cut(kv, "=")
		got[name] = value
	}
	compareVars(t, got, want)
}

// TestExportDotenvRoundTrip reads the dotenv format back with parseDotenv,
// which TestParseDotenv holds to Compose's documented rules.
func TestExportDotenvRoundTrip(t *testing.T) {
	t.Parallel()
	res, want := nastyResult(nastyValues)
	text := export(t, res, "dotenv")
	if n := strings.Count(text, "\n"); n != len(want) {
		t.Errorf("dotenv output has %d lines for %d variables; each variable must be one line", n, len(want))
	}
	got, err := dotenv.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parsing the dotenv output: %v\n%s", err, text)
	}
	compareVars(t, got, want)
}

// TestExportEnvFileRoundTrip reads the env-file format back by docker's
// rules: one NAME=value per line, the value taken literally. The values the
// format refuses (TestExportRefuses) are left out, and one value makes the
// longest line docker reads.
func TestExportEnvFileRoundTrip(t *testing.T) {
	t.Parallel()
	var values []string
	for _, v := range nastyValues {
		quoted := len(v) >= 2 && strings.ContainsAny(v[:1], `"'`) && v[len(v)-1] == v[0]
		if !strings.ContainsAny(v, "\r\n") && !quoted {
			values = append(values, v)
		}
	}
	values = append(values, strings.Repeat("x", maxEnvFileLine-len("V00=")))
	res, want := nastyResult(values)
	got, err := parseDockerEnvFile(export(t, res, "env-file"))
	if err != nil {
		t.Fatal(err)
	}
	compareVars(t, got, want)
}

// TestExportRefuses checks that a value a format cannot carry is an error
// naming the key, and that nothing at all is written then.
func TestExportRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, format, key, value, want string
	}{
		{"newline in env-file", "env-file", "CERT", "-----BEGIN\nEND-----", "CERT: the value contains a line break"},
		{"carriage return in env-file", "env-file", "CRLF", "a\r", "CRLF: the value contains a line break"},
		{"invalid UTF-8 in env-file", "env-file", "BIN", "\xff", "BIN: the value is not valid UTF-8"},
		{"double-quoted value in env-file", "env-file", "Q", `"x"`, "Q: the value starts and ends with a quote"},
		{"single-quoted value in env-file", "env-file", "Q", "''", "Q: the value starts and ends with a quote"},
		{"line too long for env-file", "env-file", "LONG", strings.Repeat("x", maxEnvFileLine-len("LONG")), "LONG: the line is 65536 bytes, over the 65535"},
		{"invalid UTF-8 in json", "json", "BIN", "ok\xffok", "BIN: the value is not valid UTF-8"},
		{"reference name sh cannot assign", "shell", "my-var", "some-value", `variable name "my-var" cannot be written as shell`},
		{"reference name in dotenv", "dotenv", "a.b", "some-value", `variable name "a.b" cannot be written as dotenv`},
		{"shell-owned name dash stops at", "shell", "OPTIND", "v1", "OPTIND cannot be set by sourcing a file"},
		{"read-only name in bash", "shell", "UID", "v1", "UID cannot be set by sourcing a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mergeResult{
				Env: []string{"AAA_FIRST=fine", tc.key + "=" + tc.value, "ZZZ_LAST=fine"},
				Set: map[string]source{"AAA_FIRST": {Secret: "s"}, tc.key: {Secret: "s"}, "ZZZ_LAST": {Secret: "s"}},
			}
			var out bytes.Buffer
			err := writeExport(&out, res, tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), tc.value) {
				t.Errorf("error %q contains the value", err)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q before failing; stdout must stay empty", out.String())
			}
		})
	}
}

// goldenResult is a small, realistic merge for the golden files.
func goldenResult() mergeResult {
	return mergeResult{
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"DEBUG=true",
			"DB_PASSWORD=p@ss'word$1",
			"ALLOWED_HOSTS=app.example.com",
			"DATABASE_URL=postgres://app@db.internal:5432/app",
			"DJANGO_SECRET_KEY=k$9#x'q\\z\"w",
			"EMPTY=",
			"WORKERS=4",
		},
		Set: map[string]source{
			"WORKERS":           {Secret: "myapp/prod"},
			"DB_PASSWORD":       {Secret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", Ref: true},
			"ALLOWED_HOSTS":     {Secret: "myapp/common"},
			"DATABASE_URL":      {Secret: "myapp/prod"},
			"DJANGO_SECRET_KEY": {Secret: "myapp/prod"},
			"EMPTY":             {Secret: "myapp/common"},
		},
		Kept: map[string]string{"DEBUG": "myapp/common"},
	}
}

// TestExportGolden pins each format's exact text, which people read and
// other tools parse.
func TestExportGolden(t *testing.T) {
	t.Parallel()
	res := goldenResult()
	for _, format := range []string{"dotenv", "env-file", "shell", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			golden(t, "export."+format+".golden", export(t, res, format))
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateExport {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run 'Export|Check' -update-export to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -run 'Export|Check' -update-export rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// parseDockerEnvFile follows docker run --env-file: lines are read by a
// bufio.Scanner with its default limit, blank lines and lines starting with
// # are skipped, leading whitespace is trimmed, and the rest of the line
// after the first = is the value, byte for byte.
func parseDockerEnvFile(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("bad env-file line %q", line)
		}
		out[name] = value
	}
	return out, sc.Err()
}

// FuzzExportPut is the property that `export --format dotenv | put --from -`
// is the identity: whatever a secret holds, reading its export back as put
// does changes nothing, so put writes no new version.
func FuzzExportPut(f *testing.F) {
	f.Add(`{"A":"plain","B":1.50,"C":{"x":[1, 2]},"D":null,"E":true}`)
	f.Add(`{"Q":"it's \"quoted\" \\ $HOME $$ \n\r\t #x","U":"\u00e9\u2028<&>"}`)
	f.Add(`{"S":" lead and trail ","H":"#hash","E":""}`)
	f.Fuzz(func(t *testing.T, text string) {
		old, _, err := secret.ParseDocument([]byte(text))
		if err != nil {
			return
		}
		vals := old.Values()
		var b strings.Builder
		for _, k := range sortedKeys(vals) {
			// The entrypoint refuses what export could not carry: bad names,
			// NUL; JSON cannot hold text that is not UTF-8.
			if !keys.Valid(k) || strings.IndexByte(vals[k], 0) >= 0 || !utf8.ValidString(vals[k]) {
				return
			}
			line, err := dotenv.Line(k, vals[k])
			if err != nil {
				t.Fatalf("dotenvLine(%q): %v", k, err)
			}
			b.WriteString(line + "\n")
		}
		vars, err := dotenv.Parse([]byte(b.String()))
		if err != nil {
			t.Fatalf("export's dotenv does not read back: %v\n%s", err, b.String())
		}
		file, err := secret.StringDocument(vars)
		if err != nil {
			t.Fatal(err)
		}
		next := secret.Settle(old, secret.MergeDocuments(old, file, nil, false))
		if c := secret.DiffDocuments(old, next); len(c) != 0 {
			t.Errorf("put of export's output changes %+v", c)
		}
		if next.Stored() != old.Stored() {
			t.Errorf("stored form changed:\n%s\n%s", old.Stored(), next.Stored())
		}
	})
}
