package termsafe

import (
	"encoding/json"
	"testing"
)

func TestTerminalSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Django app, prod", "Django app, prod"},
		{"unicode kept", "café – 東京", "café – 東京"},
		{"escape sequence", "red\x1b[31m", `red\x1b[31m`},
		{"line breaks and tab", "a\nb\r\tc", `a\nb\r\tc`},
		{"C1 control", "a\u009bb", `a\u009bb`},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`},
		{"not UTF-8", "a\xffb", `a\xffb`},
		{"DEL", "a\x7f", `a\x7f`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("terminalSafe(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestJSONTerminalSafe checks that JSON output carries no rune a terminal
// would act on, and still decodes to the same strings.
func TestJSONTerminalSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"plain and printable Unicode", "café – 東京 😀", `"café – 東京 😀"`},
		{"ESC, escaped by encoding/json already", "a\x1bb", `"a\u001bb"`},
		{"CSI (C1 control)", "a\u009b2Jb", `"a\u009b2Jb"`},
		{"bidi override and isolate", "abc\u202edcba\u2066", `"abc\u202edcba\u2066"`},
		{"line separator", "a\u2028b", `"a\u2028b"`},
		{"format character outside the BMP", "a\U000E0001b", `"a\udb40\udc01b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := JSON(enc)
			if string(got) != tc.want {
				t.Errorf("jsonTerminalSafe(%s) = %s, want %s", enc, got, tc.want)
			}
			var back string
			if err := json.Unmarshal(got, &back); err != nil || back != tc.in {
				t.Errorf("%s decodes to %q (%v), want %q", got, back, err, tc.in)
			}
		})
	}
}
