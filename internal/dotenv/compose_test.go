package dotenv

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	composedotenv "github.com/compose-spec/compose-go/v2/dotenv"
)

// The README promises that put --from reads a .env file as Docker Compose
// does. These tests hold parseDotenv to compose-go's own reader (the one
// docker compose links), a test-only dependency: the binary does not
// import it.

// composeRead reads text with compose-go's dotenv reader. The lookup finds
// nothing, so no variable of the test's environment leaks into a value;
// compose-go still interpolates from the file's own earlier keys, which is
// why parseDotenv refuses every $ but $$.
func composeRead(text []byte) (map[string]string, error) {
	return composedotenv.ParseWithLookup(bytes.NewReader(text), func(string) (string, bool) { return "", false })
}

// composeSeeds are inputs where parseDotenv once stored a value other than
// Compose's (a differential run of random files against compose-go) or
// refused a line Compose reads.
var composeSeeds = []string{
	"A=\"x\r\ny\"\n",                // a raw CR inside quotes is the value's
	"A=\v\n", "A=\f\n", "A=x\r\r\n", // trailing blanks beyond space and tab
	"A=x\u0085\n", "A=x\u00a0\n", "A=x\u2028\n", "A=\u2028x\n",
	"A=a\t#x\n",     // only " #" starts a comment
	"A='\\\\'#'\n",  // \\ is a pair in single quotes, so the quote after it closes
	"export  A=1\n", // more than one blank after export
	"export\tA=1\n",
	"A='-----BEGIN\r\nabc\r\n-----END'\r\nB=1\r\n",
	"A=\"\\\\\\\"$$\"\n",
}

func FuzzDotenvCompose(f *testing.F) {
	for _, s := range composeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		got, err := Parse(text)
		if err != nil {
			return // refusing is always allowed; a different value never is
		}
		want, err := composeRead(text)
		if err != nil {
			t.Fatalf("parseDotenv(%q) = %q, but compose-go refuses it: %v", text, got, err)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("parseDotenv(%q) = %q, compose-go reads %q", text, got, want)
		}
	})
}

// TestDotenvComposeDivergences pins what a file means in the cases where
// parseDotenv and Compose once disagreed: Compose's value, checked against
// compose-go too, so the expectation cannot drift from the reader it names.
func TestDotenvComposeDivergences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"CR inside double quotes", "A=\"x\r\ny\"\r\n", map[string]string{"A": "x\r\ny"}},
		{"CR inside single quotes", "A='x\r\ny'\r\n", map[string]string{"A": "x\r\ny"}},
		{"CRLF after an unquoted value", "A=x\r\nB=y\r\n", map[string]string{"A": "x", "B": "y"}},
		{"trailing VT", "A=\v\n", map[string]string{"A": ""}},
		{"trailing FF", "A=x\f\n", map[string]string{"A": "x"}},
		{"trailing bare CR", "A=x\r\r\n", map[string]string{"A": "x"}},
		{"trailing NEL", "A=x\u0085\n", map[string]string{"A": "x"}},
		{"trailing NBSP", "A=x\u00a0\n", map[string]string{"A": "x"}},
		{"trailing U+2028", "A=x\u2028\n", map[string]string{"A": "x"}},
		{"leading VT and NBSP", "A=\v\u00a0x\n", map[string]string{"A": "x"}},
		{"leading U+2028 is kept", "A=\u2028x\n", map[string]string{"A": "\u2028x"}},
		{"blank before a quote", "A=\v'x'\n", map[string]string{"A": "x"}},
		{"tab before # is text", "A=a\t#x\n", map[string]string{"A": "a\t#x"}},
		{"space before # is a comment", "A=a\t #x\n", map[string]string{"A": "a"}},
		{"backslash pair in single quotes", `A='\\'#'` + "\n", map[string]string{"A": `\\`}},
		{"escaped quote in single quotes", `A='a\'b'`, map[string]string{"A": "a'b"}},
		{"backslash pair then quote in double quotes", `A="\\\"$$"`, map[string]string{"A": `\"$`}},
		{"export and two spaces", "export  A=1\n", map[string]string{"A": "1"}},
		{"export and a tab", "export\tA=1\n", map[string]string{"A": "1"}},
		{"export and a form feed", "export\fA=1\n", map[string]string{"A": "1"}},
		{"export is a name without a blank", "export=1\n", map[string]string{"export": "1"}},
		{"indented by a vertical tab", "\vA=1\n", map[string]string{"A": "1"}},
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
			compose, err := composeRead([]byte(tc.in))
			if err != nil || !maps.Equal(compose, tc.want) {
				t.Errorf("compose-go reads %q as %q (%v), want %q", tc.in, compose, err, tc.want)
			}
		})
	}
}

// TestDotenvComposeRefusals lists lines Compose reads but parseDotenv
// refuses, because storing Compose's reading would surprise: the refusal is
// the promise, not a value.
func TestDotenvComposeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in string }{
		{"export and a vertical tab is a key with a blank", "export\vA=1\n"},
		{"unknown escape Compose keeps", `A="\q"`},
		{"escape Compose reads but export never writes", `A="\$x"`},
		{"interpolation", "A=1\nB=$A\n"},
		{"YAML-style colon", "A: 1\n"},
		{"text after the closing quote", "A='x' B=1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Parse([]byte(tc.in)); err == nil {
				t.Errorf("parseDotenv(%q) = %q, want an error", tc.in, got)
			}
		})
	}
}

// TestDotenvComposeRandom runs the fuzz property over random statements
// built from the tokens that matter to both readers, which byte-level
// mutation reaches slowly: the differential run that found the divergences
// in composeSeeds had this shape.
func TestDotenvComposeRandom(t *testing.T) {
	t.Parallel()
	tokens := []string{"A", "b", "_", "1", "=", " ", "\t", "\v", "\f", "\r", "\n", "\r\n", "\u0085", "\u00a0", "\u2028",
		"'", `"`, `\`, `\\`, `\'`, `\"`, "#", " #", "\t#", "$", "$$", "export", "export ", "export\t", ":", "{", "é", "\x00", "\xff"}
	r := rand.New(rand.NewPCG(18, 5))
	accepted := 0
	for i := range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			if r.IntN(2) == 0 {
				b.WriteString([]string{"A=", "B=", "export A=", "A ="}[r.IntN(4)])
			}
			for range r.IntN(10) {
				b.WriteString(tokens[r.IntN(len(tokens))])
			}
			b.WriteString("\n")
		}
		text := []byte(b.String())
		got, err := Parse(text)
		if err != nil {
			continue
		}
		want, err := composeRead(text)
		if err != nil || !maps.Equal(got, want) {
			t.Fatalf("case %d: parseDotenv(%q) = %q, compose-go reads %q (%v)", i, text, got, want, err)
		}
		accepted++
	}
	// Most random text is refused; the property means little unless a fair
	// share is compared.
	if accepted < 2000 {
		t.Errorf("only %d of 20000 random files were accepted and compared", accepted)
	}
	t.Logf("%d of 20000 random files accepted and equal to compose-go's reading", accepted)
}
