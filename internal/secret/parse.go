package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/secretenv/secretenv/internal/keys"
)

// ErrNotObject is returned by Parse when the secret is valid JSON but
// not an object.
var ErrNotObject = errors.New("secret is not a JSON object")

// errBOM is returned by Parse for a secret that starts with a UTF-8
// byte-order mark, as editors on Windows save files; JSON (RFC 8259 §8.1)
// does not allow one, and the decoder would report only a syntax error at
// byte 1.
var errBOM = errors.New("secret starts with a byte-order mark (U+FEFF); save it without a BOM")

// errLoneSurrogate follows a key's name: a \u escape of a UTF-16 surrogate
// without its pair has no UTF-8 form, and Go's decoder would silently make
// it U+FFFD, so the value would not be kept byte for byte.
var errLoneSurrogate = errors.New("holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair), which has no UTF-8 form; fix the secret's JSON")

// Parse reads a secret's text as a flat JSON object and returns its
// keys and values, converted to environment text by convertValue. Keys are
// not validated here; see keys.CheckNames.
func Parse(text []byte) (map[string]string, error) {
	if vars, ok := parseObject(text); ok {
		return vars, nil
	}
	return parseSecretStrict(text)
}

// parseObject is Parse's fast path for the common case, a valid JSON
// object with no repeated key: one validity scan, then the members are
// sliced out of one string, so a key or value without escapes costs no copy
// and no reflection. On a 64 KiB secret of 2,000 keys it is several times
// faster than the token decoder, whose every Decode builds and drops a
// scanner error. ok is false for anything else, and parseSecretStrict then
// finds the error to report.
func parseObject(text []byte) (vars map[string]string, ok bool) {
	if !json.Valid(text) {
		return nil, false
	}
	s := string(text)
	i := skipSpace(s, 0)
	if s[i] != '{' {
		return nil, false
	}
	vars = make(map[string]string, countMembers(text))
	// The text is valid JSON, so every member is: string, ':', value, then
	// ',' or '}'.
	for i = skipSpace(s, i+1); s[i] != '}'; i = skipSpace(s, i+1) {
		end := valueEnd(s, i)
		key, err := convertText(s[i:end])
		if err != nil {
			return nil, false
		}
		i = skipSpace(s, skipSpace(s, end)+1) // past the ':'
		end = valueEnd(s, i)
		val, err := convertText(s[i:end])
		if err != nil {
			return nil, false
		}
		if _, dup := vars[key]; dup {
			return nil, false
		}
		vars[key] = val
		if i = skipSpace(s, end); s[i] == '}' {
			break
		}
	}
	return vars, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at s[i],
// in valid JSON.
func valueEnd(s string, i int) int {
	depth, inString := 0, false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case inString && c == '\\':
			j++
		case c == '"':
			if inString = !inString; !inString && depth == 0 {
				return j + 1
			}
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth == 0 {
				return j + 1
			}
			if depth < 0 { // the end of the enclosing object
				return j
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return j
		}
	}
	return len(s)
}

// countMembers counts the members of the top-level object in valid JSON:
// the colons at depth 1 outside strings.
func countMembers(text []byte) int {
	n, depth := 0, 0
	inString, escaped := false, false
	for _, c := range text {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 1:
			n++
		}
	}
	return n
}

// parseSecretStrict is Parse token by token, so that it can name a
// repeated key and report a syntax error by position.
func parseSecretStrict(text []byte) (map[string]string, error) {
	if bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) {
		return nil, errBOM
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber() // a top-level 1E700 is "not an object", not a float64 overflow
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(text, dec, err)
	}
	if tok != json.Delim('{') {
		return nil, ErrNotObject
	}
	vars := make(map[string]string)
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(text, dec, err)
		}
		key := tok.(string) // inside an object, the decoder yields only string keys
		// The key's text as written (after the comma before it), since
		// the decoder has already replaced a lone surrogate. Such a key is
		// no variable name, more likely a pasted value: named by position.
		if raw := text[start:dec.InputOffset()]; hasLoneSurrogate(string(raw)) {
			return nil, fmt.Errorf("the key at byte %d %w", start+int64(bytes.IndexByte(raw, '"'))+1, errLoneSurrogate)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(text, dec, err)
		}
		if _, dup := vars[key]; dup {
			return nil, fmt.Errorf("key %s appears twice in the JSON object", keys.Quote(key))
		}
		v, err := convertValue(raw)
		if errors.Is(err, errLoneSurrogate) {
			return nil, fmt.Errorf("value of key %s %w", keys.Quote(key), err)
		}
		if err != nil {
			return nil, err
		}
		vars[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, jsonError(text, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("secret is not valid JSON: unexpected data after the object at byte %d", dec.InputOffset())
	}
	return vars, nil
}

// jsonError describes a decoding failure by position only. The decoder's own
// message is dropped on purpose: it quotes the offending input byte, which
// may be part of a secret value.
func jsonError(text []byte, dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("secret is not valid JSON: it ends too early")
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		if comma, ok := trailingComma(text, syn.Offset); ok {
			return fmt.Errorf("secret is not valid JSON: line %d: %s", lineAt(text, comma), errTrailingComma)
		}
		return fmt.Errorf("secret is not valid JSON: syntax error at byte %d", syn.Offset)
	}
	return fmt.Errorf("secret is not valid JSON: error at byte %d", dec.InputOffset())
}

// convertValue turns one JSON value into environment text: strings exactly,
// numbers as written (no float64 round trip), booleans as true/false, null as
// the empty string, and objects and arrays as compact JSON.
func convertValue(raw json.RawMessage) (string, error) {
	return convertText(string(raw))
}

// convertText is convertValue on valid JSON text; a string without escapes
// is returned as a substring of raw, without a copy.
func convertText(raw string) (string, error) {
	switch raw[0] {
	case '"':
		if inner := raw[1 : len(raw)-1]; strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
			return inner, nil // no escape to undo: the common case, without reflection
		}
		if hasLoneSurrogate(raw) {
			return "", errLoneSurrogate
		}
		var s string
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return "", errors.New("secret is not valid JSON: bad string") // unreachable: the decoder validated raw
		}
		return s, nil
	case 'n':
		return "", nil
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(raw)); err != nil {
			return "", errors.New("secret is not valid JSON: bad nested value")
		}
		return buf.String(), nil
	}
	return raw, nil // numbers, true, false
}

// hasLoneSurrogate reports whether JSON text holds a \u escape of a UTF-16
// surrogate that is not a high surrogate (D800-DBFF) directly followed by an
// escaped low one (DC00-DFFF): the pairs that make one code point.
func hasLoneSurrogate(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		i++ // the escaped byte: an escaped backslash is skipped whole
		r, ok := unicodeEscape(text, i-1)
		switch {
		case !ok || r < 0xd800 || r > 0xdfff:
		case r >= 0xdc00:
			return true // a low surrogate without a high one before it
		default:
			if low, ok := unicodeEscape(text, i+5); !ok || low < 0xdc00 || low > 0xdfff {
				return true
			}
			i += 6 // the pair's low half
		}
	}
	return false
}

// unicodeEscape decodes the \uXXXX escape at text[i:], if there is one.
func unicodeEscape(text string, i int) (rune, bool) {
	if i+6 > len(text) || text[i] != '\\' || text[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(text[i+2 : i+6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
