package dotenv

import (
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseDotenv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"empty file", "", map[string]string{}},
		{"comments and blank lines", "# a comment\n\n  # indented\nA=1\n", map[string]string{"A": "1"}},
		{"no final newline", "A=1", map[string]string{"A": "1"}},
		{"CRLF line ends", "A=1\r\nB='x'\r\n", map[string]string{"A": "1", "B": "x"}},
		{"export prefix", "export A=1\n", map[string]string{"A": "1"}},
		{"blanks around =", "A = 1\n", map[string]string{"A": "1"}},
		{"empty value", "A=\nB=''\nC=\"\"\n", map[string]string{"A": "", "B": "", "C": ""}},
		{"template with empty values", "DATABASE_URL=\nSECRET_KEY=\n", map[string]string{"DATABASE_URL": "", "SECRET_KEY": ""}},
		// Compose's documented examples (docs.docker.com, "Set environment
		// variables within your container's environment", .env syntax).
		{"unquoted", "VAR=VAL\n", map[string]string{"VAR": "VAL"}},
		{"double quoted", `VAR="VAL"`, map[string]string{"VAR": "VAL"}},
		{"single quoted", "VAR='VAL'", map[string]string{"VAR": "VAL"}},
		{"inline comment", "VAR=VAL # comment", map[string]string{"VAR": "VAL"}},
		{"# without a blank is text", "VAR=VAL# not a comment", map[string]string{"VAR": "VAL# not a comment"}},
		{"# inside quotes is text", `VAR="VAL # not a comment"`, map[string]string{"VAR": "VAL # not a comment"}},
		{"comment after quotes", `VAR="VAL" # comment`, map[string]string{"VAR": "VAL"}},
		{"$ in single quotes is literal", "VAR='$OTHER'", map[string]string{"VAR": "$OTHER"}},
		{"escaped single quote", `VAR='Let\'s go!'`, map[string]string{"VAR": "Let's go!"}},
		{"JSON in double quotes", `VAR="{\"hello\": \"json\"}"`, map[string]string{"VAR": `{"hello": "json"}`}},
		{"escapes in double quotes", `VAR="a\tb\nc\rd\\e"`, map[string]string{"VAR": "a\tb\nc\rd\\e"}},
		{"backslash literal in single quotes", `VAR='some\tvalue'`, map[string]string{"VAR": `some\tvalue`}},
		{"backslash literal unquoted", `VAR=some\tvalue`, map[string]string{"VAR": `some\tvalue`}},
		{"$$ in double quotes", `VAR="$$HOME"`, map[string]string{"VAR": "$HOME"}},
		{"$$ unquoted", `VAR=a$$b`, map[string]string{"VAR": "a$b"}},
		{"quoted value over lines", "KEY='-----BEGIN\nabc\n-----END'\nNEXT=1\n", map[string]string{"KEY": "-----BEGIN\nabc\n-----END", "NEXT": "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("parseDotenv(%q): %v", tc.in, err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("parseDotenv(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDotenvErrors(t *testing.T) {
	t.Parallel()
	const canary = "s3cr3t-canary"
	tests := []struct{ name, in, want string }{
		{"no =", "A=1\n" + canary + "\n", "line 2: expected NAME=value"},
		{"bad name", "1A=" + canary, "line 1: expected NAME=value with NAME a variable name"},
		{"name with a dash", "A-B=" + canary, "line 1: expected NAME=value"},
		{"duplicate", "A=1\n\nA=" + canary, "line 3: A is set twice"},
		{"unclosed single", "A='" + canary, "line 1: A: no closing '"},
		{"unclosed double", "A=\"" + canary + "\nB=1\n", `line 1: A: no closing "`},
		{"text after quote", "A='x'" + canary, "line 1: A: text after the closing quote"},
		{"$ in double quotes", "A=\"" + canary + "$ 1\"", "line 1: A: a $ inside double quotes would be interpolated"},
		{"$ unquoted", "A=" + canary + "$", "line 1: A: a $ would be interpolated"},
		{"a reference", "A=" + canary + "${REDIS_URL}", "line 1: A: refers to another variable (${NAME} or $NAME), which Compose would substitute from the environment at docker compose time and secretenv does not expand; write the value itself, or $${NAME} for a literal"},
		{"a reference with a default", "A=\"${REDIS_URL:-x}" + canary + "\"", "refers to another variable"},
		{"a bare reference", "A=" + canary + "$HOME", "refers to another variable"},
		{"a $ before letters in a password, not echoed", "A=ab$" + canary, "line 1: A: refers to another variable (${NAME} or $NAME)"},
		{"an earlier key is not expanded", "B=x\nA=${B}" + canary, "line 2: A: refers to another variable"},
		{"every problem at once", "A=$X\n" + canary + "\nB=${Y}\nA=1\nA=2\n", "4 problems: line 1: A: refers to another variable (${NAME} or $NAME), " +
			"which Compose would substitute from the environment at docker compose time and secretenv does not expand; write the value itself, or $${NAME} for a literal; " +
			"line 2: expected NAME=value with NAME a variable name; line 3: B: refers to another variable (${NAME} or $NAME), which Compose would substitute from the environment at docker compose time and secretenv does not expand; write the value itself, or $${NAME} for a literal; line 5: A is set twice"},
		{"at most ten problems listed", strings.Repeat(canary+"\n", 13), "13 problems: line 1: expected NAME=value with NAME a variable name; line 2: expected NAME=value with NAME a variable name; line 3"},
		{"the count of those not listed", strings.Repeat(canary+"\n", 13), "line 10: expected NAME=value with NAME a variable name; and 3 more"},
		{"unknown escape", `A="\q` + canary + `"`, `line 1: A: unknown escape \q`},
		// A byte of the value that is not printable ASCII is not echoed:
		// raw, an ESC acts on the terminal and half of é is not UTF-8.
		{"escape of a control byte", "A=\"\\\x1b]0;" + canary + "\"", "line 1: A: unknown escape inside double quotes"},
		{"escape of a multi-byte letter", "A=\"\\\u00e9" + canary + "\"", "line 1: A: unknown escape inside double quotes"},
		{"line counted past a quoted value", "A='x\ny'\nB=\"" + canary, `line 3: B: no closing "`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseDotenv(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error %q quotes the value", err)
			}
			if msg := err.Error(); !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
				t.Errorf("error %q holds a raw byte of the input", msg)
			}
		})
	}
}

// TestDotenvRoundTrip checks the property `export --format dotenv | put
// --from -` relies on: whatever dotenvLine writes, parseDotenv reads back
// exactly.
func TestDotenvRoundTrip(t *testing.T) {
	t.Parallel()
	alphabet := []string{"a", "Z", "0", " ", "\t", "\n", "\r", "'", `"`, `\`, "$", "$$", "#", " #", "=", "é", "\x01", "\xff", "{", "}"}
	r := rand.New(rand.NewPCG(1, 2))
	vars := map[string]string{"EMPTY": ""}
	for i := range 2000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		vars["K"+strings.Repeat("_", i%3)+string(rune('A'+i%26))+strings.Repeat("X", i/26)] = b.String()
	}
	var file strings.Builder
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		line, err := Line(name, vars[name])
		if err != nil {
			t.Fatalf("dotenvLine(%s): %v", name, err)
		}
		file.WriteString(line + "\n")
	}
	got, err := Parse([]byte(file.String()))
	if err != nil {
		t.Fatalf("parseDotenv of dotenvLine's output: %v", err)
	}
	for name, want := range vars {
		if got[name] != want {
			t.Errorf("%s: wrote %q, read back %q", name, want, got[name])
		}
	}
	if len(got) != len(vars) {
		t.Errorf("read %d variables, wrote %d", len(got), len(vars))
	}
}

func TestReadVarsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string { return writeTestFile(t, dir, name, text) }
	tests := []struct {
		name, path, format, stdin string
		want                      map[string]string
	}{
		{"json by extension", write("a.json", `{"A":"1","N":1.50,"O":{"x": 1}}`), "", "", map[string]string{"A": "1", "N": "1.50", "O": `{"x":1}`}},
		{"JSON upper-case extension", write("b.JSON", `{"A":"1"}`), "", "", map[string]string{"A": "1"}},
		{"dotenv otherwise", write(".env.example", "A=\nB=2\n"), "", "", map[string]string{"A": "", "B": "2"}},
		{"format beats the name", write("c.json", "A=1\n"), "dotenv", "", map[string]string{"A": "1"}},
		{"stdin", "-", "", "A=1\n", map[string]string{"A": "1"}},
		{"stdin as JSON", "-", "json", `{"A":"1"}`, map[string]string{"A": "1"}},
		{"byte-order mark skipped", write("bom.env", "\uFEFFA=1\n"), "", "", map[string]string{"A": "1"}},
		{"byte-order mark skipped in JSON", write("bom.json", "\uFEFF{\"A\":\"1\"}"), "", "", map[string]string{"A": "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadVars(tc.path, tc.format, strings.NewReader(tc.stdin))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadVarsFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string { return writeTestFile(t, dir, name, text) }
	big := write("big.env", "A='"+strings.Repeat("x", maxVarsFile)+"'\n")
	tests := []struct{ name, path, format, want string }{
		{"missing file", filepath.Join(dir, "nope.env"), "", "no such file or directory"},
		{"not an object", write("arr.json", `["s3cr3t"]`), "", "arr.json: not a JSON object of KEY: value"},
		{"bad JSON", write("bad.json", `{"A": s3cr3t}`), "", "bad.json: secret is not valid JSON"},
		{"bad dotenv", write("bad.env", "s3cr3t\n"), "", "bad.env: line 1: expected NAME=value"},
		{"too large", big, "", "larger than 1048576 bytes"},
		{"unknown format", big, "yaml", `unknown file format "yaml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadVars(tc.path, tc.format, strings.NewReader(""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("readVarsFile = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q quotes the content", err)
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

func TestOptional(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"none", "A=\nB=x\n", nil},
		{"unquoted empty", "A= # optional\nB=\n", []string{"A"}},
		{"quoted", "A='' # optional\nB=\"x\"   # optional\n", []string{"A", "B"}},
		{"another comment", "A= # required by the worker\n", nil},
		{"after a tab, the value form", "A=\t# optional\n", []string{"A"}},
		{"a comment line before", "# optional\nA=\n", nil},
		{"a placeholder and the mark", "A=changeme # optional\n", []string{"A"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Optional([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for k := range got {
				names = append(names, k)
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.want) {
				t.Errorf("Optional(%q) = %v, want %v", tc.in, names, tc.want)
			}
		})
	}
}
