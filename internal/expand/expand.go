// Package expand builds an environment value from an operator's template,
// such as DATABASE_URL from the parts of an RDS-managed secret.
//
// The syntax is deliberately small so that nothing in it can surprise:
//
//	${VAR}      the value of VAR, inserted verbatim
//	${VAR|url}  the value of VAR, percent-encoded (see PercentEncode)
//	$$          a literal "$"
//
// Any other "$" is a syntax error. There is no shell, no default values, no
// nesting and no recursion: a value is inserted once and never scanned
// again, so a secret whose value holds "${...}" is data, not a template.
// The package is pure: it reads nothing but its arguments. Names follow
// internal/keys' rule, the one a secret's keys follow.
package expand

import (
	"fmt"
	"strings"

	"github.com/secretenv/secretenv/internal/keys"
)

// Template is a parsed template. The zero value expands to "".
type Template struct {
	parts []part
}

// part is literal text (name == "") or one ${name} or ${name|url}.
type part struct {
	lit  string
	name string
	url  bool
}

// SyntaxError says why a template is malformed. The message names the byte
// offset and the construct's shape in fixed words: it quotes nothing of the
// template itself, because a string the operator typed where a name belongs
// may be a pasted value.
type SyntaxError struct {
	Offset  int    // byte offset of the "$" (or of the part after it) that is wrong, from 0
	Problem string // what is wrong and what to write instead
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed template at byte offset %d: %s", e.Offset, e.Problem)
}

// UnsetError is Expand's error when the lookup does not have a variable
// the template uses. Var is a valid variable name (Parse guarantees it),
// safe to show.
type UnsetError struct {
	Var string
}

func (e *UnsetError) Error() string {
	return fmt.Sprintf("${%s} is not set", e.Var)
}

// Parse parses template. It returns a *SyntaxError for any "$" that does
// not start "$$", "${NAME}" or "${NAME|url}", where NAME matches
// [A-Za-z_][A-Za-z0-9_]*. Text without "$" is always valid and is kept
// byte for byte, whatever it holds.
func Parse(template string) (*Template, error) {
	t := &Template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(template); {
		d := strings.IndexByte(template[i:], '$')
		if d < 0 {
			lit.WriteString(template[i:])
			break
		}
		lit.WriteString(template[i : i+d])
		i += d
		if i+1 == len(template) {
			return nil, &SyntaxError{i, `"$" at the end; write "$$" for a literal "$"`}
		}
		switch template[i+1] {
		case '$':
			lit.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			return nil, &SyntaxError{i, `"$" must be followed by "{" or "$"; write "$$" for a literal "$"`}
		}
		body := template[i+2:]
		end := strings.IndexByte(body, '}')
		if end < 0 {
			return nil, &SyntaxError{i, `"${" without a closing "}"`}
		}
		body = body[:end]
		if n := strings.IndexByte(body, '$'); n >= 0 {
			return nil, &SyntaxError{i + 2 + n, `"$" inside "${...}"; templates do not nest`}
		}
		name, filter, hasFilter := strings.Cut(body, "|")
		switch {
		case name == "":
			return nil, &SyntaxError{i, `empty variable name after "${"`}
		case !keys.Valid(name):
			return nil, &SyntaxError{i + 2, "variable name is not [A-Za-z_][A-Za-z0-9_]*"}
		case hasFilter && filter == "":
			return nil, &SyntaxError{i + 3 + len(name), `empty filter after "|"; the only filter is url, as in ${NAME|url}`}
		case hasFilter && filter != "url":
			return nil, &SyntaxError{i + 3 + len(name), `unknown filter after "|"; the only filter is url, as in ${NAME|url}`}
		}
		flush()
		t.parts = append(t.parts, part{name: name, url: hasFilter})
		i += 2 + end + 1
	}
	flush()
	return t, nil
}

// Vars returns the names the template uses, each once, in the order of
// their first use. It is nil for a template without variables.
func (t *Template) Vars() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range t.parts {
		if p.name != "" && !seen[p.name] {
			seen[p.name] = true
			names = append(names, p.name)
		}
	}
	return names
}

// Expand returns the template with each ${VAR} replaced by lookup(VAR) and
// each ${VAR|url} by PercentEncode(lookup(VAR)). A variable that is set to
// "" counts as set. Values are inserted as they are and never rescanned.
// If lookup reports a variable missing, Expand returns "" and an
// *UnsetError naming the first such variable in the template; the error
// never holds a value.
func (t *Template) Expand(lookup func(name string) (string, bool)) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := lookup(p.name)
		if !ok {
			return "", &UnsetError{Var: p.name}
		}
		if p.url {
			v = PercentEncode(v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// PercentEncode returns s with every byte outside RFC 3986's unreserved set
// (A-Z a-z 0-9 - . _ ~, section 2.3) written as %XX in uppercase hex
// (section 2.1 recommends uppercase). The result holds only unreserved
// characters and %XX, so it is safe in any part of a URL: user, password,
// host, path, query or fragment. Unlike url.QueryEscape it never writes
// "+" for a space, which a path or userinfo would read as a "+"; unlike
// url.PathEscape it also encodes ":", "@", "&", "=" and "+", which end a
// userinfo or a query parameter.
func PercentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&0xF])
		}
	}
	return string(b)
}

// unreserved reports whether c is in RFC 3986's unreserved set.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
