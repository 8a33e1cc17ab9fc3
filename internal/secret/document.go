package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/secretenv/secretenv/internal/keys"
)

// This file holds a secret as edit and put write it: a JSON object whose
// every value is kept as the JSON text it was written with, so that 1.50
// stays 1.50 and nested JSON stays as written. Like parse.go, nothing here
// does I/O and no error quotes a value.

// Document is a secret's JSON object: key -> the value's JSON text.
type Document map[string]string

// ParseDocument reads text as a JSON object, keeping each value's text. lines
// maps each key to the line it starts on, for messages. A syntax error or a
// repeated key is reported by line, never with the input.
func ParseDocument(text []byte) (doc Document, lines map[string]int, err error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, syntaxError(text, dec, err)
	}
	if tok != json.Delim('{') {
		return nil, nil, ErrNotObject
	}
	doc, lines = Document{}, map[string]int{}
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, syntaxError(text, dec, err)
		}
		key := tok.(string) // inside an object, the decoder yields only string keys
		line := lineAt(text, start+keyStart(text[start:]))
		// The decoder turns a lone surrogate into U+FFFD, so the key's
		// text as written is checked (parseSecret does the same by byte;
		// here the person has lines).
		if hasLoneSurrogate(string(text[start:dec.InputOffset()])) {
			return nil, nil, fmt.Errorf("line %d: the key %w", line, errLoneSurrogate)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, syntaxError(text, dec, err)
		}
		if hasLoneSurrogate(string(raw)) {
			return nil, nil, fmt.Errorf("line %d: value of key %s %w", line, keys.Quote(key), errLoneSurrogate)
		}
		if first, dup := lines[key]; dup {
			return nil, nil, fmt.Errorf("line %d: key %s appears twice (first on line %d)", line, keys.Quote(key), first)
		}
		if !utf8.Valid(raw) {
			// The decoder accepts the bytes, but a JSON string sent to
			// Secrets Manager carries them as U+FFFD: not the value written.
			return nil, nil, fmt.Errorf("line %d: value of key %s is not valid UTF-8, which a secret's JSON cannot hold; save the file as UTF-8", line, keys.Quote(key))
		}
		doc[key], lines[key] = string(raw), line
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, syntaxError(text, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("line %d: not valid JSON: text after the closing brace", lineAt(text, dec.InputOffset()))
	}
	return doc, lines, nil
}

// keyStart skips the separator and blanks that InputOffset counts before a
// key, so that its line is the key's own.
func keyStart(b []byte) int64 {
	return int64(len(b) - len(bytes.TrimLeft(b, ", \t\r\n")))
}

// lineAt is the 1-based line of byte offset off.
func lineAt(text []byte, off int64) int {
	off = min(max(off, 0), int64(len(text)))
	return 1 + bytes.Count(text[:off], []byte("\n"))
}

// syntaxError names the line of a decoding failure; the decoder's own
// message is dropped because it quotes the offending input.
func syntaxError(text []byte, dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("line %d: not valid JSON: it ends too early (a missing } or \"?)", lineAt(text, int64(len(text))))
	}
	off := dec.InputOffset()
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		off = syn.Offset
	}
	if comma, ok := trailingComma(text, off); ok {
		return fmt.Errorf("line %d: not valid JSON: %s", lineAt(text, comma), errTrailingComma)
	}
	line := lineAt(text, off)
	col := off - int64(bytes.LastIndexByte(text[:min(off, int64(len(text)))], '\n'))
	return fmt.Errorf("line %d, column %d: not valid JSON (a missing comma or quote?)", line, col)
}

// errTrailingComma names the mistake JavaScript, Python and most editors
// forgive and JSON does not (RFC 8259 section 4: members are separated,
// not terminated, by commas).
const errTrailingComma = "a trailing comma after the last member; JSON allows none"

// trailingComma reports whether the syntax error at off is a closing } or ]
// right after a comma (blanks between), and returns the comma's offset.
// Only structure is looked at, never the text of a value. Commas and
// blanks at off are skipped first: a SyntaxError from Decode of a nested
// value (a member's array or object) reports an offset up to the comma
// before the bracket, not the bracket.
func trailingComma(text []byte, off int64) (int64, bool) {
	if off < 0 {
		return 0, false
	}
	at := off
	for at < int64(len(text)) && bytes.IndexByte([]byte(", \t\r\n"), text[at]) >= 0 {
		at++
	}
	if at >= int64(len(text)) || (text[at] != '}' && text[at] != ']') {
		return 0, false
	}
	return commaBefore(text, at)
}

// commaBefore returns the offset of the comma before the bracket at off,
// if only blanks stand between them.
func commaBefore(text []byte, off int64) (int64, bool) {
	before := bytes.TrimRight(text[:off], " \t\r\n")
	if len(before) == 0 || before[len(before)-1] != ',' {
		return 0, false
	}
	return int64(len(before) - 1), true
}

// jsonString is s as a JSON string. A string that is not UTF-8 cannot be
// stored exactly (encoding/json would turn it into U+FFFD), so it is an
// error. <, > and & stay as they are, as people wrote them.
func jsonString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("the value is not valid UTF-8, which a secret's JSON cannot hold")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", fmt.Errorf("cannot encode the value (%T)", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// StringDocument turns variables read from a dotenv file into a document of
// JSON strings, naming the first key that cannot be one.
func StringDocument(vars map[string]string) (Document, error) {
	doc := make(Document, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		s, err := jsonString(vars[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		doc[k] = s
	}
	return doc, nil
}

// Values converts each value to what the entrypoint would put in the
// environment (convertValue's rules).
func (d Document) Values() map[string]string {
	vals := make(map[string]string, len(d))
	for k, raw := range d {
		v, err := convertText(raw)
		if err != nil {
			v = raw // unreachable: raw came from the decoder, so it is valid JSON
		}
		vals[k] = v
	}
	return vals
}

// Stored is the text written to Secrets Manager: one compact object, keys
// sorted, so the console and get-secret-value show them sorted too; each
// value is its text as written.
func (d Document) Stored() string {
	return d.render("{", ",", ":", "}")
}

// Pretty is the text edit opens: one key a line, sorted.
func (d Document) Pretty() string {
	if len(d) == 0 {
		return "{\n}\n"
	}
	return d.render("{\n  ", ",\n  ", ": ", "\n}\n")
}

func (d Document) render(open, sep, colon, close string) string {
	var b strings.Builder
	b.WriteString(open)
	for i, k := range slices.Sorted(maps.Keys(d)) {
		if i > 0 {
			b.WriteString(sep)
		}
		key, err := jsonString(k)
		if err != nil {
			key = fmt.Sprintf("%q", k) // unreachable: keys came from JSON, so they are UTF-8
		}
		b.WriteString(key + colon + d[k])
	}
	b.WriteString(close)
	return b.String()
}

// MergeDocuments is the secret put writes: file's keys over old's (or
// file alone with replace), without the deleted keys. Deleting a key that
// is not there is no error, so a script can run twice.
func MergeDocuments(old, file Document, deleteKeys []string, replace bool) Document {
	next := Document{}
	if !replace {
		for k, raw := range old {
			next[k] = raw
		}
	}
	for k, raw := range file {
		next[k] = raw
	}
	for _, k := range deleteKeys {
		delete(next, k)
	}
	return next
}

// Change is one key that a write adds, removes or changes.
type Change struct {
	Kind     string // "added", "removed" or "changed"
	Key      string
	Old, New string // environment values: shown only with --show-values
}

// DiffDocuments lists what going from old to next changes in the
// environment the entrypoint builds: added keys, then removed, then changed,
// each sorted. A value written differently but read the same (1.50 as
// "1.50", nested JSON respaced) is no change.
func DiffDocuments(old, next Document) []Change {
	ov, nv := old.Values(), next.Values()
	var added, removed, changed []Change
	for _, k := range slices.Sorted(maps.Keys(nv)) {
		o, ok := ov[k]
		switch {
		case !ok:
			added = append(added, Change{Kind: "added", Key: k, New: nv[k]})
		case o != nv[k]:
			changed = append(changed, Change{Kind: "changed", Key: k, Old: o, New: nv[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ov)) {
		if _, ok := nv[k]; !ok {
			removed = append(removed, Change{Kind: "removed", Key: k, Old: ov[k]})
		}
	}
	return slices.Concat(added, removed, changed)
}

// Settle returns next with each key whose environment value is unchanged
// from old written as it was in old, so that reading a secret back (from
// export, or from an editor that reformats) writes nothing new.
func Settle(old, next Document) Document {
	ov, nv := old.Values(), next.Values()
	out := make(Document, len(next))
	for k, raw := range next {
		if o, ok := ov[k]; ok && o == nv[k] {
			raw = old[k]
		}
		out[k] = raw
	}
	return out
}
