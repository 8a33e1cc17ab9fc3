package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/secretenv/secretenv/internal/keys"
)

// This file holds the pure core: turning secret text into variables and
// merging them with the process environment. Nothing here does I/O, and no
// error built here ever contains a secret value: Go's JSON errors quote input
// bytes, so they are replaced by positions, and values are only ever named by
// their key.

// errNotObject is returned by parseSecret when the secret is valid JSON but
// not an object.
var errNotObject = errors.New("secret is not a JSON object")

// errBOM is returned by parseSecret for a secret that starts with a UTF-8
// byte-order mark, as editors on Windows save files; JSON (RFC 8259 §8.1)
// does not allow one, and the decoder would report only a syntax error at
// byte 1.
var errBOM = errors.New("secret starts with a byte-order mark (U+FEFF); save it without a BOM")

// errLoneSurrogate follows a key's name: a \u escape of a UTF-16 surrogate
// without its pair has no UTF-8 form, and Go's decoder would silently make
// it U+FFFD, so the value would not be kept byte for byte.
var errLoneSurrogate = errors.New("holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair), which has no UTF-8 form; fix the secret's JSON")

// parseSecret reads a secret's text as a flat JSON object and returns its
// keys and values, converted to environment text by convertValue. Keys are
// not validated here; see checkVars.
func parseSecret(text []byte) (map[string]string, error) {
	if vars, ok := parseObject(text); ok {
		return vars, nil
	}
	return parseSecretStrict(text)
}

// parseObject is parseSecret's fast path for the common case, a valid JSON
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

// parseSecretStrict is parseSecret token by token, so that it can name a
// repeated key and report a syntax error by position.
func parseSecretStrict(text []byte) (map[string]string, error) {
	if bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) {
		return nil, errBOM
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber() // a top-level 1E700 is "not an object", not a float64 overflow
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(dec, err)
	}
	if tok != json.Delim('{') {
		return nil, errNotObject
	}
	vars := make(map[string]string)
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(dec, err)
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
			return nil, jsonError(dec, err)
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
		return nil, jsonError(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("secret is not valid JSON: unexpected data after the object at byte %d", dec.InputOffset())
	}
	return vars, nil
}

// jsonError describes a decoding failure by position only. The decoder's own
// message is dropped on purpose: it quotes the offending input byte, which
// may be part of a secret value.
func jsonError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("secret is not valid JSON: it ends too early")
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
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

// source says where a variable of the final environment came from.
type source struct {
	Secret   string // the secret the value came from, as the user named it
	Ref      bool   // resolved from a reference held in the variable itself
	Override bool   // replaced a value the environment had (--override)
}

// mergeResult is the environment a command will see, with the provenance of
// each name that secretenv set or kept in the face of a secret.
type mergeResult struct {
	Env  []string          // NAME=value, each name once
	Set  map[string]source // names whose value came from a secret
	Kept map[string]string // names a secret also had but the environment won: name -> secret id
}

// layer is one secret's variables, in the order secrets were given.
type layer struct {
	ID   string
	Vars map[string]string
}

// mergeEnv builds the child environment from the process environment, the
// secrets (later layers replace earlier ones) and the resolved references.
// The environment wins over secrets unless override is set; a variable that
// is set but empty counts as set. References always win: they were put in
// the environment to be replaced. The result keeps the environment's order
// and names each variable once (the first entry of a duplicated name wins,
// as getenv(3) reads it); entries without '=' are dropped.
func mergeEnv(environ []string, layers []layer, refs map[string]string, refSecret map[string]string, override bool) mergeResult {
	n := 0
	for _, l := range layers {
		n += len(l.Vars)
	}
	// Sized up front: growing maps of 2,000 keys costs more than filling them.
	fromSecret := make(map[string]string, n) // name -> value
	owner := make(map[string]string, n)      // name -> secret id
	for _, l := range layers {
		for k, v := range l.Vars {
			fromSecret[k] = v
			owner[k] = l.ID
		}
	}
	res := mergeResult{Set: make(map[string]source, n+len(refs)), Kept: make(map[string]string), Env: make([]string, 0, len(environ)+n)}
	seen := make(map[string]bool, len(environ))
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if v, ok := refs[name]; ok {
			value = v
			res.Set[name] = source{Secret: refSecret[name], Ref: true}
		} else if v, ok := fromSecret[name]; ok {
			if override {
				value = v
				res.Set[name] = source{Secret: owner[name], Override: true}
			} else {
				res.Kept[name] = owner[name]
			}
		}
		res.Env = append(res.Env, name+"="+value)
	}
	added := make([]string, 0, len(fromSecret))
	for name := range fromSecret {
		if !seen[name] {
			added = append(added, name)
		}
	}
	slices.Sort(added)
	for _, name := range added {
		res.Env = append(res.Env, name+"="+fromSecret[name])
		res.Set[name] = source{Secret: owner[name]}
	}
	return res
}

// lookupEnv returns the value of name in environ, reading the first entry
// as getenv(3) does.
func lookupEnv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
