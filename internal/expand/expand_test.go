package expand

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/secretenv/secretenv/internal/keys"
)

// env is a lookup over a map, as the command will pass the merged
// environment.
func env(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	rds := map[string]string{
		"DB_USER":     "admin",
		"DB_PASSWORD": "p@ss:w/o?r#d&x=y%z+ q",
		"DB_HOST":     "host",
		"DB_PORT":     "5432",
		"DB_NAME":     "db",
		"EMPTY":       "",
		"TEMPLATE":    "${DB_PASSWORD}$$x$",
	}
	tests := []struct {
		name     string
		template string
		want     string
		vars     []string
	}{
		{
			name:     "rds url",
			template: "postgres://${DB_USER|url}:${DB_PASSWORD|url}@${DB_HOST}:${DB_PORT}/${DB_NAME|url}",
			want:     "postgres://admin:p%40ss%3Aw%2Fo%3Fr%23d%26x%3Dy%25z%2B%20q@host:5432/db",
			vars:     []string{"DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_NAME"},
		},
		{name: "empty template", template: "", want: ""},
		{name: "literal only", template: "plain text {with} braces } and | bars", want: "plain text {with} braces } and | bars"},
		{name: "dollar dollar", template: "$$", want: "$"},
		{name: "dollar dollar before brace", template: "$${DB_HOST}", want: "${DB_HOST}"},
		{name: "four dollars", template: "a$$$$b", want: "a$$b"},
		{name: "plain var", template: "${DB_PASSWORD}", want: "p@ss:w/o?r#d&x=y%z+ q", vars: []string{"DB_PASSWORD"}},
		{name: "value holding template syntax is not rescanned", template: "<${TEMPLATE}>", want: "<${DB_PASSWORD}$$x$>", vars: []string{"TEMPLATE"}},
		{name: "url of value holding template syntax", template: "${TEMPLATE|url}", want: "%24%7BDB_PASSWORD%7D%24%24x%24", vars: []string{"TEMPLATE"}},
		{name: "set but empty", template: "[${EMPTY}][${EMPTY|url}]", want: "[][]", vars: []string{"EMPTY"}},
		{name: "repeated var listed once", template: "${DB_HOST}${DB_PORT}${DB_HOST|url}", want: "host5432host", vars: []string{"DB_HOST", "DB_PORT"}},
		{name: "closing brace after var is literal", template: "${DB_HOST}}", want: "host}", vars: []string{"DB_HOST"}},
		{name: "utf-8 literal kept", template: "é ${DB_PORT} ✓", want: "é 5432 ✓", vars: []string{"DB_PORT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(tc.template)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.template, err)
			}
			if got := tmpl.Vars(); !reflect.DeepEqual(got, tc.vars) {
				t.Errorf("Vars() = %q, want %q", got, tc.vars)
			}
			got, err := tmpl.Expand(env(rds))
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if got != tc.want {
				t.Errorf("Expand = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		template string
		offset   int
		problem  string // a fragment of the message
	}{
		{name: "lone dollar at end", template: "abc$", offset: 3, problem: `"$" at the end`},
		{name: "only a dollar", template: "$", offset: 0, problem: `"$" at the end`},
		{name: "dollar then letter", template: "$x", offset: 0, problem: `followed by "{" or "$"`},
		{name: "shell style name", template: "pw=$DB_PASSWORD", offset: 3, problem: `followed by "{" or "$"`},
		{name: "dollar then paren", template: "$(id)", offset: 0, problem: `followed by "{" or "$"`},
		{name: "odd dollars", template: "$$$", offset: 2, problem: `"$" at the end`},
		{name: "open only", template: "${", offset: 0, problem: `without a closing "}"`},
		{name: "empty name", template: "x${}", offset: 1, problem: "empty variable name"},
		{name: "unterminated name", template: "${A", offset: 0, problem: `without a closing "}"`},
		{name: "unterminated filter", template: "${A|url", offset: 0, problem: `without a closing "}"`},
		{name: "empty filter", template: "${A|}", offset: 4, problem: "empty filter"},
		{name: "unknown filter", template: "${A|nope}", offset: 4, problem: "unknown filter"},
		{name: "filter in upper case", template: "${A|URL}", offset: 4, problem: "unknown filter"},
		{name: "two filters", template: "${A|url|url}", offset: 4, problem: "unknown filter"},
		{name: "name starts with digit", template: "${1A}", offset: 2, problem: "variable name is not"},
		{name: "name with space", template: "${ A }", offset: 2, problem: "variable name is not"},
		{name: "name with dash", template: "${A-B}", offset: 2, problem: "variable name is not"},
		{name: "shell default", template: "${A:-x}", offset: 2, problem: "variable name is not"},
		{name: "filter only", template: "${|url}", offset: 0, problem: "empty variable name"},
		{name: "nested", template: "${A${B}}", offset: 3, problem: "do not nest"},
		{name: "nested in filter", template: "${A|${B}}", offset: 4, problem: "do not nest"},
		{name: "error after a good part", template: "${A}$", offset: 4, problem: `"$" at the end`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(tc.template)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tc.template, tmpl)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error is %T, want *SyntaxError", tc.template, err)
			}
			if se.Offset != tc.offset {
				t.Errorf("Offset = %d, want %d (%v)", se.Offset, tc.offset, err)
			}
			if !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("error %q does not say %q", err, tc.problem)
			}
		})
	}
}

// TestSyntaxErrorQuotesNoName: what stands where a name belongs may be a
// pasted value, so the message must not repeat it.
func TestSyntaxErrorQuotesNoName(t *testing.T) {
	const canary = "CANARY-s3cr3t-value"
	for _, template := range []string{"${" + canary + "}", "${A|" + canary + "}", "${" + canary, "$" + canary, "${A${" + canary + "}}"} {
		_, err := Parse(template)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", template)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Parse(%q) error quotes the template: %v", template, err)
		}
	}
}

func TestExpandUnset(t *testing.T) {
	tests := []struct {
		name     string
		template string
		set      map[string]string
		want     string
	}{
		{name: "only var unset", template: "${A}", set: nil, want: "A"},
		{name: "url var unset", template: "x${A|url}y", set: nil, want: "A"},
		{name: "first unset is named", template: "${A}${B}${C}", set: map[string]string{"A": "1"}, want: "B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(tc.template)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Expand(env(tc.set))
			var ue *UnsetError
			if !errors.As(err, &ue) {
				t.Fatalf("Expand error = %v (%T), want *UnsetError", err, err)
			}
			if ue.Var != tc.want {
				t.Errorf("UnsetError.Var = %q, want %q", ue.Var, tc.want)
			}
			if got != "" {
				t.Errorf("Expand returned %q with its error, want \"\"", got)
			}
			if !strings.Contains(err.Error(), "${"+tc.want+"}") {
				t.Errorf("error %q does not name ${%s}", err, tc.want)
			}
		})
	}
}

// TestExpandErrorHoldsNoValue: the values already looked up before the
// missing one must not leak into the error.
func TestExpandErrorHoldsNoValue(t *testing.T) {
	tmpl, err := Parse("${PW}${MISSING}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Expand(env(map[string]string{"PW": "CANARY-s3cr3t"}))
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("Expand error = %v, want one without the value", err)
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "unreserved kept", in: "AZaz09-._~", want: "AZaz09-._~"},
		{name: "rds password", in: "p@ss:w/o?r#d&x=y%z+ q", want: "p%40ss%3Aw%2Fo%3Fr%23d%26x%3Dy%25z%2B%20q"},
		{name: "sub-delims", in: "!$&'()*+,;=", want: "%21%24%26%27%28%29%2A%2B%2C%3B%3D"},
		{name: "gen-delims", in: ":/?#[]@", want: "%3A%2F%3F%23%5B%5D%40"},
		{name: "uppercase hex", in: "\xff\xab", want: "%FF%AB"},
		{name: "control bytes", in: "\x00\n\t\x7f", want: "%00%0A%09%7F"},
		{name: "utf-8 by byte", in: "é", want: "%C3%A9"},
		{name: "invalid utf-8 kept as bytes", in: "\xc3(", want: "%C3%28"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PercentEncode(tc.in); got != tc.want {
				t.Errorf("PercentEncode(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// strictDecode decodes s, accepting only unreserved characters and %XX with
// uppercase hex: the exact shape PercentEncode promises.
func strictDecode(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c):
			b = append(b, c)
		case c == '%' && i+2 < len(s) && upperHex(s[i+1]) && upperHex(s[i+2]):
			b = append(b, hexVal(s[i+1])<<4|hexVal(s[i+2]))
			i += 2
		default:
			return "", false
		}
	}
	return string(b), true
}

func upperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func hexVal(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}

// FuzzTemplate checks properties, not examples: Parse and Expand never
// panic; ${X|url} round-trips any value through a strict percent decoder
// and through net/url; text without "$" and text with every "$" doubled
// come out as written; a value is inserted verbatim, never rescanned.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "$", "$$", "${A}", "${A|url}", "${A${B}}", "p@ss:w/o?r#d&x=y%z+ q", "${X}", "\x00\xff", "é", "${1A}", "${A|}", "$${A}"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, template, v string) {
		// Any template: no panic; a parsed one expands with every
		// variable set, and its Vars are all valid names.
		if tmpl, err := Parse(template); err == nil {
			for _, name := range tmpl.Vars() {
				if !keys.Valid(name) {
					t.Fatalf("Parse(%q).Vars() holds %q", template, name)
				}
			}
			if _, err := tmpl.Expand(func(string) (string, bool) { return v, true }); err != nil {
				t.Fatalf("Parse(%q).Expand with every variable set: %v", template, err)
			}
		} else {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset >= len(template) {
				t.Fatalf("Parse(%q) error %v: want a *SyntaxError with an offset inside the template", template, err)
			}
		}

		lookup := func(name string) (string, bool) { return v, name == "X" }

		// ${X|url}: only unreserved and %XX, and decodes back to v.
		enc := mustExpand(t, "${X|url}", lookup)
		if got, ok := strictDecode(enc); !ok || got != v {
			t.Fatalf("${X|url} with X=%q gave %q: strict decode = %q, %v", v, enc, got, ok)
		}
		if got, err := url.PathUnescape(enc); err != nil || got != v {
			t.Fatalf("url.PathUnescape(%q) = %q, %v; want %q", enc, got, err, v)
		}
		if got, err := url.QueryUnescape(enc); err != nil || got != v {
			t.Fatalf("url.QueryUnescape(%q) = %q, %v; want %q", enc, got, err, v)
		}

		// ${X}: verbatim, even when v holds "${...}" or "$$".
		if got := mustExpand(t, "<${X}>", lookup); got != "<"+v+">" {
			t.Fatalf("<${X}> with X=%q = %q", v, got)
		}

		// Text without "$" passes through; doubling every "$" makes any
		// text a template of itself.
		if !strings.Contains(template, "$") {
			if got := mustExpand(t, template, lookup); got != template {
				t.Fatalf("literal %q expanded to %q", template, got)
			}
		}
		if got := mustExpand(t, strings.ReplaceAll(template, "$", "$$"), lookup); got != template {
			t.Fatalf("escaped %q expanded to %q", template, got)
		}
	})
}

func mustExpand(t *testing.T, template string, lookup func(string) (string, bool)) string {
	t.Helper()
	tmpl, err := Parse(template)
	if err != nil {
		t.Fatalf("Parse(%q): %v", template, err)
	}
	s, err := tmpl.Expand(lookup)
	if err != nil {
		t.Fatalf("Expand(%q): %v", template, err)
	}
	return s
}
