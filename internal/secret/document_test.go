package secret

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseDocument(t *testing.T) {
	t.Parallel()
	text := "{\n  \"A\": 1.50,\n  \"B\": {\"x\": [1, 2]},\n\n  \"C\": \"s\",  \"D\": null\n}\n"
	doc, lines, err := ParseDocument([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := Document{"A": "1.50", "B": `{"x": [1, 2]}`, "C": `"s"`, "D": "null"}
	if !maps.Equal(doc, want) {
		t.Errorf("doc = %v, want %v", doc, want)
	}
	if wantLines := map[string]int{"A": 2, "B": 3, "C": 5, "D": 5}; !maps.Equal(lines, wantLines) {
		t.Errorf("lines = %v, want %v", lines, wantLines)
	}
}

func TestParseDocumentErrors(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value"
	cases := []struct{ name, text, want string }{
		{"duplicate key", "{\n\"A\": 1,\n\"A\": \"" + secret + "\"\n}", `line 3: key "A" appears twice (first on line 2)`},
		{"missing comma", "{\n\"A\": \"" + secret + "\"\n\"B\": 2\n}", "line 3"},
		{"bare word", "{\n\"A\": " + secret + "\n}", "line 2"},
		{"ends early", "{\n\"A\": \"" + secret, "ends too early"},
		{"text after", "{}\n" + secret, "line 2: not valid JSON: text after the closing brace"},
		{"trailing comma", "{\"A\": \"" + secret + "\",\n}", "line 1: not valid JSON: a trailing comma after the last member; JSON allows none"},
		{"trailing comma in an array", "{\n\"A\": [1, 2,\n]}", "line 2: not valid JSON: a trailing comma after the last member"},
		{"comma then bare word", "{\"A\": 1,\n" + secret + "}", "line 2, column 1: not valid JSON (a missing comma or quote?)"},
		// encoding/json would store U+FFFD for the byte: not the value as written.
		{"invalid UTF-8", "{\n\"A\": 1,\n\"B\": \"" + secret + "\xff\"\n}", `line 3: value of key "B" is not valid UTF-8`},
		{"invalid UTF-8 nested", "{\"A\": {\"x\": [\"" + secret + "\xe9\"]}}", `line 1: value of key "A" is not valid UTF-8`},
		// The decoder would make a lone surrogate U+FFFD: named by line.
		{"lone surrogate in a value", "{\n\"A\": 1,\n\"B\": \"" + secret + "\\ud800\"\n}", `line 3: value of key "B" holds a lone UTF-16 surrogate`},
		{"lone surrogate nested", "{\n\"A\": {\"x\": \"\\udc00\"}\n}", `line 2: value of key "A" holds a lone UTF-16 surrogate`},
		{"lone surrogate in a key", "{\"A\": 1,\n  \"" + secret + "\\udc00\": 2\n}", `line 2: the key holds a lone UTF-16 surrogate`},
		{"a value as a key, twice", "{\n\"" + secret + "\": 1,\n\"" + secret + "\": 2\n}", `line 3: key <12-byte key, not shown> appears twice (first on line 2)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ParseDocument([]byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error quotes the input: %q", err)
			}
		})
	}
	if _, _, err := ParseDocument([]byte(`["` + secret + `"]`)); err != ErrNotObject {
		t.Errorf("array: error %v, want errNotObject", err)
	}
}

func TestDocumentText(t *testing.T) {
	t.Parallel()
	doc := Document{"B": `"<&>"`, "A": "1.50", "C": `{"x": 1}`}
	if got, want := doc.Stored(), `{"A":1.50,"B":"<&>","C":{"x": 1}}`; got != want {
		t.Errorf("stored = %s, want %s", got, want)
	}
	if got, want := doc.Pretty(), "{\n  \"A\": 1.50,\n  \"B\": \"<&>\",\n  \"C\": {\"x\": 1}\n}\n"; got != want {
		t.Errorf("pretty = %q, want %q", got, want)
	}
	if got := (Document{}).Pretty(); got != "{\n}\n" {
		t.Errorf("empty pretty = %q", got)
	}
	for _, text := range []string{doc.Stored(), doc.Pretty()} {
		back, _, err := ParseDocument([]byte(text))
		if err != nil || !maps.Equal(back, doc) {
			t.Errorf("%q read back as %v, %v", text, back, err)
		}
	}
}

func TestDiffDocuments(t *testing.T) {
	t.Parallel()
	old := Document{"KEEP": `"k"`, "GONE": `"g"`, "NUM": "1.50", "EDIT": `"a"`, "NEST": `{"a": 1}`}
	next := Document{"KEEP": `"k"`, "NUM": `"1.50"`, "EDIT": `"b"`, "NEW": "true", "NEST": `{"a":1}`}
	got := DiffDocuments(old, next)
	want := []Change{
		{Kind: "added", Key: "NEW", New: "true"},
		{Kind: "removed", Key: "GONE", Old: "g"},
		{Kind: "changed", Key: "EDIT", Old: "a", New: "b"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("diff = %+v, want %+v", got, want)
	}
	settled := Settle(old, next)
	if settled["NUM"] != "1.50" || settled["NEST"] != `{"a": 1}` || settled["EDIT"] != `"b"` {
		t.Errorf("settle kept %v", settled)
	}
}
