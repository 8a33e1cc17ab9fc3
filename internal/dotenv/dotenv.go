package dotenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/termsafe"
)

// This file reads variables from local files: a JSON object like a secret,
// or a dotenv file (.env, .env.example). Errors name the file, the line and
// the key, never a value.

// maxVarsFile bounds what ReadVars reads: a secret holds at most 64 KiB,
// and a template is smaller still.
const maxVarsFile = 1 << 20

// ReadVars reads the variables of a JSON object or a dotenv file; "-"
// reads stdin. format is "json", "dotenv", or "" to choose by the name:
// .json is JSON, anything else dotenv. Keys are not validated beyond what
// the format needs; callers apply keys.CheckNames and the key rules.
func ReadVars(path, format string, stdin io.Reader) (map[string]string, error) {
	switch format {
	case "json", "dotenv":
	case "":
		format = FormatByName(path)
	default:
		return nil, fmt.Errorf("unknown file format %q; use json or dotenv", format)
	}
	text, err := ReadText(path, stdin)
	if err != nil {
		return nil, err
	}
	var vars map[string]string
	if format == "json" {
		vars, err = secret.Parse(text)
		if errors.Is(err, secret.ErrNotObject) {
			err = errors.New("not a JSON object of KEY: value")
		}
	} else {
		vars, err = Parse(text)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DisplayName(path), err)
	}
	return vars, nil
}

// FormatByName is the format of a file given without one: .json is JSON,
// anything else dotenv.
func FormatByName(path string) string {
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		return "json"
	}
	return "dotenv"
}

// ReadText reads a file of variables, or stdin for "-", up to
// maxVarsFile bytes. A leading byte-order mark is dropped: it marks the
// file's encoding and is no part of a value.
func ReadText(path string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) { // the path and the reason, no content; the path escaped
				return nil, fmt.Errorf("%s %s: %w", pe.Op, termsafe.String(pe.Path), pe.Err)
			}
			return nil, err
		}
		defer f.Close()
		r = f
	}
	text, err := io.ReadAll(io.LimitReader(r, maxVarsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", DisplayName(path), err)
	}
	if len(text) > maxVarsFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; a secret holds at most 65,536", DisplayName(path), maxVarsFile)
	}
	return bytes.TrimPrefix(text, []byte("\uFEFF")), nil
}

// DisplayName names a file of variables in messages, escaped: a file name
// can hold an ESC or a bidi override that would act on the terminal.
func DisplayName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return termsafe.String(path)
}

// Parse reads a dotenv file as Docker Compose (compose-go's dotenv
// package) reads it, which is what `export --format dotenv` writes, so that
// the two round-trip exactly. Where Compose would read a line differently
// from what it looks like (interpolation, an unknown escape), the line is
// refused rather than stored as a third value; FuzzDotenvCompose holds
// Parse to that.
//
//   - blank lines and lines starting with # are skipped; "export" and
//     blanks before a name are allowed;
//   - NAME=value, NAME a variable name ([A-Za-z_][A-Za-z0-9_]*);
//   - 'single quotes': literal, but \' is a quote and \\ is kept as a pair
//     (so \\' ends the value);
//   - "double quotes": \\ \" \n \r \t are escapes and $$ is a dollar;
//   - unquoted: the rest of the line, without a " #" comment (a tab before
//     the # does not start one) and trailing Unicode spaces; $$ is a dollar.
//
// Quoted values may span lines and keep a raw CR, as Compose does (a PEM
// key in a file with CRLF line ends). Compose would interpolate any other
// $, so such a value is refused rather than read differently from how
// Compose reads it; write $$ or use single quotes.
func Parse(text []byte) (map[string]string, error) {
	vars, _, err := parse(text)
	return vars, err
}

// Optional returns the names of text's lines that end in the comment
// "# optional" (OptionalMark) after a value, quoted or not, or whose value is
// that text (NAME= # optional): keys a template declares without requiring
// them. Compose and other dotenv readers skip the comment, so a template
// so marked stays a valid .env.
func Optional(text []byte) (map[string]bool, error) {
	_, optional, err := parse(text)
	return optional, err
}

// OptionalMark is the comment that marks a template's key as optional.
const OptionalMark = "# optional"

// maxProblems bounds the problems one error lists; the rest are counted.
const maxProblems = 10

// Problems is every problem of one file, each with its line, so that a
// file is fixed in one run rather than one line per run.
type Problems []string

func (p Problems) Error() string {
	if len(p) == 1 {
		return p[0]
	}
	shown := p[:min(len(p), maxProblems)]
	text := fmt.Sprintf("%d problems: %s", len(p), strings.Join(shown, "; "))
	if len(p) > len(shown) {
		text += fmt.Sprintf("; and %d more", len(p)-len(shown))
	}
	return text
}

func parse(text []byte) (map[string]string, map[string]bool, error) {
	vars := map[string]string{}
	optional := map[string]bool{}
	var problems Problems
	s := string(text)
	for line := 1; s != ""; {
		cur, rest, _ := strings.Cut(s, "\n")
		// Compose skips every Unicode space before a statement.
		t := strings.TrimLeftFunc(cur, unicode.IsSpace)
		if t == "" || t[0] == '#' {
			s, line = rest, line+1
			continue
		}
		// Compose strips "export" when a blank follows (its regexp
		// ^export\s+, where \s is [\t\n\f\r ]), then any of its blanks.
		if after, ok := strings.CutPrefix(t, "export"); ok && after != "" && strings.IndexByte("\t\f\r ", after[0]) >= 0 {
			t = strings.TrimLeftFunc(after, composeBlank)
		}
		name, after, ok := strings.Cut(t, "=")
		name = strings.TrimRightFunc(name, composeBlank)
		if !ok || !keys.Valid(name) {
			problems = append(problems, fmt.Sprintf("line %d: expected NAME=value with NAME a variable name", line))
			s, line = rest, line+1
			continue
		}
		// A quoted value may run on past this line, so it is read from s.
		value, comment, tail, err := dotenvValue(strings.TrimLeftFunc(s[len(cur)-len(after):], composeBlank))
		if errors.As(err, new(unclosedError)) {
			// The rest of the file is inside the quotes: no later line
			// can be read as its own.
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", line, name, err))
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", line, name, err))
		} else if _, dup := vars[name]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s is set twice", line, name))
		} else {
			vars[name] = value
			// NAME= # optional is read by Compose as the value
			// "# optional" (a comment needs a value before it), and
			// is the way people write it: a template's values are
			// not used, so both forms mark the key.
			if strings.TrimSpace(comment) == OptionalMark || value == OptionalMark {
				optional[name] = true
			}
		}
		line += strings.Count(s[:len(s)-len(tail)], "\n")
		s = tail
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	return vars, optional, nil
}

// composeBlank is the set of blanks Compose skips after "export", around the
// = and before a value (its isSpace): narrower than unicode.IsSpace, which
// it uses only to trim the end of an unquoted value, so a leading U+2028 is
// part of a value and a trailing one is not.
func composeBlank(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}

// dotenvValue reads one value at the start of s and returns it with the
// comment that ends its line ("" or "# ...") and the text after its line.
func dotenvValue(s string) (value, comment, tail string, err error) {
	if s != "" && (s[0] == '\'' || s[0] == '"') {
		value, after, err := dotenvQuoted(s[1:], s[0])
		rest, tail, _ := strings.Cut(after, "\n")
		if err != nil {
			return "", "", tail, err
		}
		t := strings.TrimLeftFunc(rest, unicode.IsSpace)
		if t != "" && t[0] != '#' {
			return "", "", tail, errors.New("text after the closing quote")
		}
		return value, t, tail, nil
	}
	cur, tail, _ := strings.Cut(s, "\n")
	// Only " #" starts a comment: Compose keeps "a\t#x" whole.
	cur, comment, hasComment := strings.Cut(cur, " #")
	if hasComment {
		comment = "#" + comment
	}
	value, err = dotenvDollars(strings.TrimRightFunc(cur, unicode.IsSpace), "a $")
	if err != nil {
		return "", "", tail, err
	}
	return value, comment, tail, nil
}

// unclosedError is a quoted value without its closing quote.
type unclosedError struct{ quote byte }

func (e unclosedError) Error() string { return fmt.Sprintf("no closing %c", e.quote) }

// dotenvQuoted reads a quoted value up to its closing quote and returns the
// value and the text after the quote. As in Compose, a backslash and the
// byte after it are taken as a pair first (so \\ never escapes the quote
// after it), and only then are double-quoted escapes and $$ read.
func dotenvQuoted(s string, quote byte) (value, rest string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == quote:
			if quote == '\'' {
				return b.String(), s[i+1:], nil
			}
			value, err := dotenvEscapes(b.String())
			return value, s[i+1:], err
		case c == '\\' && i+1 < len(s) && s[i+1] == quote:
			b.WriteByte(quote)
			i++
		case c == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return "", "", unclosedError{quote}
}

// dotenvEscapes reads the escapes and dollars of a double-quoted value whose
// escaped quotes are already read.
func dotenvEscapes(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case '\\', '"':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default: // Compose reads \a \b \f \v \$ \0NNN too, and keeps others
			// The byte is the value's: named only when it is printable
			// ASCII (\q), never raw (an ESC would reach the terminal).
			if s[i] > ' ' && s[i] < 0x7f {
				return "", fmt.Errorf("unknown escape \\%c inside double quotes; write \\\\ for a backslash", s[i])
			}
			return "", errors.New("unknown escape inside double quotes (a backslash before a character that is not \\ \" n r t); write \\\\ for a backslash")
		}
	}
	value, err := dotenvDollars(b.String(), "a $ inside double quotes")
	if err != nil {
		return "", err
	}
	return value, nil
}

// dotenvDollars applies Compose's interpolation to text that may only hold
// $$ (a dollar); any other $ is an error, as Compose would interpolate it.
// A reference to a variable ($NAME, ${NAME}, ${NAME:-default}) gets its own
// error, whose fix is not $$ but the value itself. The error does not name
// the variable: "ab$cdef" may be a password, and the "name" part of it.
//
// secretenv does not expand such a reference itself, not even from an
// earlier key of the same file: Compose looks the name up in the
// environment of `docker compose` first and in the file only after, so
// the value Compose would use depends on who runs it, and reading the local
// environment would copy a laptop's variables into a shared secret.
func dotenvDollars(s, what string) (string, error) {
	rest := strings.ReplaceAll(s, "$$", "")
	i := strings.IndexByte(rest, '$')
	if i < 0 {
		return strings.ReplaceAll(s, "$$", "$"), nil
	}
	if isReference(rest[i+1:]) {
		return "", errReference
	}
	return "", errors.New(what + " would be interpolated by Compose; write $$ or use single quotes")
}

// isReference reports whether the text after a $ refers to a variable:
// NAME, or {NAME followed by } or an operator (:- - :? ? :+ +).
func isReference(s string) bool {
	braced := strings.HasPrefix(s, "{")
	s = strings.TrimPrefix(s, "{")
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return n > 0 && (!braced || n < len(s) && strings.IndexByte("}:-?+", s[n]) >= 0)
}

// errReference is a $ that refers to another variable.
var errReference = errors.New("refers to another variable (${NAME} or $NAME), which Compose would substitute from the environment at docker compose time and secretenv does not expand; write the value itself, or $${NAME} for a literal")

// Line writes one line of a Compose .env or env_file file. Compose
// takes single-quoted values literally apart from \' (an escaped quote), so
// they are used when the value has no quote, backslash or line break.
// Otherwise the value is double-quoted, where Compose reads \\ \" \n \r as
// escapes and interpolates $, so $ is written as $$ (Compose's literal
// dollar).
func Line(name, value string) (string, error) {
	if !strings.ContainsAny(value, "'\\\n\r") {
		return name + "='" + value + "'", nil
	}
	var b strings.Builder
	b.WriteString(name + `="`)
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '$':
			b.WriteString(`$$`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}
