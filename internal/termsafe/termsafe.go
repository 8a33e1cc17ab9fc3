// Package termsafe escapes text that someone else chose (a secret's name or
// description, a file name) before it is printed on a terminal, so that it
// cannot move the cursor, recolour the terminal or hide text. It is pure.
package termsafe

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// String returns s with every rune a terminal could act on escaped as
// Go does in a quoted string (\t, \x1b, \u202e), and each byte that is not
// UTF-8 as \xNN. Printable text, spaces included, is kept as it is.
func String(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r) || r == ' ':
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// JSON rewrites, in the output of encoding/json, every rune
// String would escape as a JSON \u escape. encoding/json escapes C0
// controls, U+2028 and U+2029 but leaves C1 controls (U+009B is a CSI, which
// a terminal obeys like ESC [) and format characters such as the bidi
// override U+202E raw. Outside strings JSON is ASCII, so every such rune is
// inside a string, where \u is the same text to any reader.
func JSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// encoding/json writes U+FFFD for invalid UTF-8; kept raw if
			// ever reached rather than turned into a different character.
			out = append(out, b[i])
		case r < utf8.RuneSelf || unicode.IsPrint(r):
			out = append(out, b[i:i+size]...)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}
