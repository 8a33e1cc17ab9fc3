package main

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
)

func TestMergeEnv(t *testing.T) {
	t.Parallel()
	common := layer{ID: "app/common", Vars: map[string]string{"A": "common-a", "B": "common-b", "LOG": "info"}}
	prod := layer{ID: "app/prod", Vars: map[string]string{"B": "prod-b", "C": "prod-c"}}
	tests := []struct {
		name      string
		environ   []string
		layers    []layer
		refs      map[string]string // name -> value
		refSecret map[string]string
		override  bool
		want      mergeResult
	}{
		{
			name:    "no secrets keeps the environment",
			environ: []string{"PATH=/bin", "HOME=/root"},
			want:    mergeResult{Env: []string{"PATH=/bin", "HOME=/root"}},
		},
		{
			name:    "new names appended sorted after the environment",
			environ: []string{"PATH=/bin", "HOME=/root"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"Z": "z", "A": "a", "M": "m"}}},
			want: mergeResult{
				Env: []string{"PATH=/bin", "HOME=/root", "A=a", "M=m", "Z=z"},
				Set: map[string]source{"A": {Secret: "s"}, "M": {Secret: "s"}, "Z": {Secret: "s"}},
			},
		},
		{
			name:    "later layers replace earlier ones",
			environ: []string{"PATH=/bin"},
			layers:  []layer{common, prod},
			want: mergeResult{
				Env: []string{"PATH=/bin", "A=common-a", "B=prod-b", "C=prod-c", "LOG=info"},
				Set: map[string]source{"A": {Secret: "app/common"}, "B": {Secret: "app/prod"}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
			},
		},
		{
			name:    "the environment wins over every layer",
			environ: []string{"B=from-env", "PATH=/bin"},
			layers:  []layer{common, prod},
			want: mergeResult{
				Env:  []string{"B=from-env", "PATH=/bin", "A=common-a", "C=prod-c", "LOG=info"},
				Set:  map[string]source{"A": {Secret: "app/common"}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
				Kept: map[string]string{"B": "app/prod"},
			},
		},
		{
			name:    "set but empty counts as set",
			environ: []string{"A=", "LOG="},
			layers:  []layer{common},
			want: mergeResult{
				Env:  []string{"A=", "LOG=", "B=common-b"},
				Set:  map[string]source{"B": {Secret: "app/common"}},
				Kept: map[string]string{"A": "app/common", "LOG": "app/common"},
			},
		},
		{
			name:     "override replaces in place",
			environ:  []string{"B=from-env", "PATH=/bin"},
			layers:   []layer{common, prod},
			override: true,
			want: mergeResult{
				Env: []string{"B=prod-b", "PATH=/bin", "A=common-a", "C=prod-c", "LOG=info"},
				Set: map[string]source{"A": {Secret: "app/common"}, "B": {Secret: "app/prod", Override: true}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
			},
		},
		{
			name:      "references replace their variable",
			environ:   []string{"DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:db", "PATH=/bin"},
			refs:      map[string]string{"DB_PASSWORD": "hunter2"},
			refSecret: map[string]string{"DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
			want: mergeResult{
				Env: []string{"DB_PASSWORD=hunter2", "PATH=/bin"},
				Set: map[string]source{"DB_PASSWORD": {Secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", Ref: true}},
			},
		},
		{
			name:      "a secret key never replaces a reference",
			environ:   []string{"B=arn:aws:secretsmanager:us-east-1:123456789012:secret:b"},
			layers:    []layer{common, prod},
			refs:      map[string]string{"B": "from-ref"},
			refSecret: map[string]string{"B": "ref-b"},
			want: mergeResult{
				Env: []string{"B=from-ref", "A=common-a", "C=prod-c", "LOG=info"},
				Set: map[string]source{"A": {Secret: "app/common"}, "B": {Secret: "ref-b", Ref: true}, "C": {Secret: "app/prod"}, "LOG": {Secret: "app/common"}},
			},
		},
		{
			name:      "a secret key never replaces a reference, even with override",
			environ:   []string{"B=arn:aws:secretsmanager:us-east-1:123456789012:secret:b"},
			layers:    []layer{prod},
			refs:      map[string]string{"B": "from-ref"},
			refSecret: map[string]string{"B": "ref-b"},
			override:  true,
			want: mergeResult{
				Env: []string{"B=from-ref", "C=prod-c"},
				Set: map[string]source{"B": {Secret: "ref-b", Ref: true}, "C": {Secret: "app/prod"}},
			},
		},
		{
			name:    "duplicates in the environment: the first wins",
			environ: []string{"A=first", "X=1", "A=second", "B=first", "B=second"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"B": "secret"}}},
			want: mergeResult{
				Env:  []string{"A=first", "X=1", "B=first"},
				Kept: map[string]string{"B": "s"},
			},
		},
		{
			name:     "duplicates in the environment with override: one entry, the secret's",
			environ:  []string{"B=first", "B=second"},
			layers:   []layer{{ID: "s", Vars: map[string]string{"B": "secret"}}},
			override: true,
			want: mergeResult{
				Env: []string{"B=secret"},
				Set: map[string]source{"B": {Secret: "s", Override: true}},
			},
		},
		{
			name:    "entries without '=' are dropped",
			environ: []string{"NOEQUALS", "A=1", "", "=empty-name"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"NOEQUALS": "from-secret"}}},
			want: mergeResult{
				Env: []string{"A=1", "=empty-name", "NOEQUALS=from-secret"},
				Set: map[string]source{"NOEQUALS": {Secret: "s"}},
			},
		},
		{
			name:    "values with '=' are kept whole",
			environ: []string{"DSN=a=b=c"},
			layers:  []layer{{ID: "s", Vars: map[string]string{"DSN": "x", "Q": "k=v"}}},
			want: mergeResult{
				Env:  []string{"DSN=a=b=c", "Q=k=v"},
				Set:  map[string]source{"Q": {Secret: "s"}},
				Kept: map[string]string{"DSN": "s"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			environ := slices.Clone(tc.environ)
			got := mergeEnv(environ, tc.layers, tc.refs, tc.refSecret, tc.override)
			if !slices.Equal(environ, tc.environ) {
				t.Errorf("mergeEnv changed its environ argument to %q", environ)
			}
			if !slices.Equal(got.Env, tc.want.Env) {
				t.Errorf("Env = %q\nwant  %q", got.Env, tc.want.Env)
			}
			if !maps.Equal(got.Set, tc.want.Set) {
				t.Errorf("Set = %v, want %v", got.Set, tc.want.Set)
			}
			if !maps.Equal(got.Kept, tc.want.Kept) {
				t.Errorf("Kept = %v, want %v", got.Kept, tc.want.Kept)
			}
		})
	}
}

func TestLookupEnv(t *testing.T) {
	t.Parallel()
	environ := []string{"NOEQ", "A=", "B=1=2", "B=second", "C=c"}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"A", "", true},
		{"B", "1=2", true},
		{"C", "c", true},
		{"NOEQ", "", false},
		{"D", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := lookupEnv(environ, tc.name)
			if got != tc.want || ok != tc.ok {
				t.Errorf("lookupEnv(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// fuzzCanary is planted as a string value ahead of the fuzzer's bytes, so
// that even input that is not valid JSON carries a value the errors must not
// repeat. No four bytes of it occur in any message template.
const fuzzCanary = "Qz8vKw3Jx"

// FuzzMerge parses, validates, resolves references and merges as load does,
// with the fuzzer choosing the secret text and the environment, and checks
// properties rather than examples: no panic; every name in the result is a
// valid key or came from the environment; no NUL in a value set from a
// secret; each name once; and no error repeats four or more bytes of a
// string value of the secret, beyond what the message templates, the keys
// (which errors may name) and byte offsets explain.
func FuzzMerge(f *testing.F) {
	seeds := []struct{ secret, environ string }{
		{`{"A":"1","B":1.50,"C":null,"D":{"x":[1,2]},"E":true}`, "PATH=/bin\x00A=kept\x00HOME="},
		{`{"bad-key":"Qz8vKw3Jx","A":"x"}`, "PATH=/bin"},
		{`{"A":"a\u0000b"}`, ""},
		{`{"A":1,"A":2}`, "A=1"},
		{`{"LD_PRELOAD":"/tmp/x.so"}`, ""},
		{`["not","an","object"]`, ""},
		{`{"A":"unterminated`, ""},
		{`{} trailing`, ""},
		{`{"password":"hunter2","port":5432}`, "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::\x00PORT=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:port:AWSPREVIOUS:\x00WHOLE=arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
		{`plain text secret`, "TOKEN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:token"},
		{`{"A":"x"}`, "K=arn:aws:secretsmanager:us-east-1:123456789012:secret:s:nokey\x00NOEQ\x00=x\x00A=1\x00A=2"},
		{`{"A":"x"}`, "K=arn:aws:secretsmanager:bad"},
		{"", ""},
		{`{"A":"x\ud800y","B":"\ud83d\ude00"}`, ""},
		{`{"A":"\udc00","K\ud83d":1}`, ""},
		{"\xef\xbb\xbf{\"A\":\"1\"}", ""},
		{`{"password":"\ud800"}`, "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.secret), []byte(s.environ))
	}
	vocab := errorVocabulary()
	shapes := parseErrorShapes()
	f.Fuzz(func(t *testing.T, secret, environBytes []byte) {
		environ := strings.Split(string(environBytes), "\x00") // environ entries never hold NUL
		checkMerge(t, secret, environ, vocab, shapes)
		// The same bytes continuing a string value that starts with the
		// canary: whatever they turn the document into, no error may repeat
		// the canary.
		planted := append([]byte(`{"CANARY":"`+fuzzCanary), secret...)
		checkMerge(t, planted, environ, vocab, shapes)
	})
}

// checkMerge runs one secret text through the pure pipeline and checks the
// FuzzMerge properties.
func checkMerge(t *testing.T, text []byte, environ []string, vocab string, shapes map[string]bool) {
	refs, refErr := findReferences(environ)
	vars, err := secret.Parse(text)
	if err != nil {
		// Go's JSON errors quote a single input byte, too short for the
		// window check below: parse errors must also have a known shape.
		keys, _ := jsonStrings(text)
		if shape := errorShape(err.Error(), keys); !shapes[shape] {
			t.Fatalf("parse error %q has an unknown shape %q", err, shape)
		}
	}
	if err == nil {
		err = keys.CheckNames(vars)
	}
	if err == nil {
		err = keys.CheckDenied(vars, nil)
	}
	var vals, from map[string]string
	if refErr == nil {
		// Every reference resolves against this one secret text, as if each
		// had fetched it.
		texts := map[store.SecretVersion]string{}
		for _, r := range refs {
			texts[r.Version] = string(text)
		}
		vals, from, refErr = resolveReferences(refs, texts, nil)
	}
	for _, e := range []error{err, refErr} {
		if e != nil {
			checkNoLeak(t, text, environ, refs, e.Error(), vocab)
		}
	}
	if err != nil || refErr != nil {
		return
	}

	res := mergeEnv(environ, []layer{{ID: "fuzz", Vars: vars}}, vals, from, false)
	inEnviron := map[string]bool{}
	names := map[string]bool{}
	for _, kv := range environ {
		if name, _, ok := strings.Cut(kv, "="); ok {
			names[name] = true
		}
		inEnviron[kv] = true
	}
	seen := map[string]bool{}
	for _, kv := range res.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("entry %q has no '='", kv)
		}
		if seen[name] {
			t.Fatalf("name %q appears twice in %q", name, res.Env)
		}
		seen[name] = true
		src, set := res.Set[name]
		switch {
		case !set && !inEnviron[kv]:
			t.Fatalf("entry %q neither set from a secret nor taken from the environment", kv)
		case set && !keys.Valid(name) && !(src.Ref && names[name]):
			t.Fatalf("invalid name %q set from a secret", name)
		case set && strings.IndexByte(value, 0) >= 0:
			t.Fatalf("value of %q set from a secret holds a NUL", name)
		}
	}
	for name := range res.Set {
		if !seen[name] {
			t.Fatalf("%q is in Set but not in Env", name)
		}
	}
}

// checkNoLeak fails if msg repeats four or more consecutive bytes of a string
// value in secret that the templates (vocab), what an error may mention (the
// secret's top-level keys; the environment's names and values, and the
// json-keys and secret ids in them) and digits do not account for. Any leak of four or more bytes contains a
// four-byte window, so windows are enough.
func checkNoLeak(t *testing.T, secret []byte, environ []string, refs []reference, msg, vocab string) {
	secretKeys, values := jsonStrings(secret)
	if strings.HasPrefix(string(secret), `{"CANARY":"`+fuzzCanary) {
		values = append(values, fuzzCanary) // planted even when the text is not JSON
	}
	var named []string
	for _, k := range secretKeys {
		named = append(named, keys.Quote(k), k)
	}
	for _, kv := range environ { // the environment is configuration, not secret
		name, value, _ := strings.Cut(kv, "=")
		named = append(named, name, value, strconv.Quote(value))
	}
	for _, r := range refs {
		named = append(named, keys.Quote(r.JSONKey), r.JSONKey, r.Version.String())
	}
	// Longest first, so a key is removed whole before a shorter one inside it.
	slices.SortFunc(named, func(a, b string) int { return len(b) - len(a) })
	rest := msg
	for _, n := range named {
		if n != "" {
			rest = strings.ReplaceAll(rest, n, "\xff")
		}
	}
	rest = digits.ReplaceAllString(rest, "\xff")
	// A set of the message's windows keeps this linear: the fuzzer grows
	// inputs, and a quadratic check stalls it.
	inMsg := make(map[string]bool, len(rest))
	for i := 0; i+4 <= len(rest); i++ {
		inMsg[rest[i:i+4]] = true
	}
	for _, v := range values {
		for i := 0; i+4 <= len(v); i++ {
			w := v[i : i+4]
			if inMsg[w] && !strings.Contains(vocab, w) {
				t.Fatalf("error %q repeats %q from a secret value %q", msg, w, v)
			}
		}
	}
}

var digits = regexp.MustCompile(`[0-9]+`)

// jsonStrings walks text as far as it is valid JSON and returns the keys of
// the top-level object and every other string: values, array elements and
// nested keys, which become part of a variable's value. A token walk rather
// than json.Unmarshal, so that duplicate keys and the valid prefix of invalid
// input count too.
func jsonStrings(text []byte) (keys, values []string) {
	dec := json.NewDecoder(strings.NewReader(string(text)))
	type frame struct{ object, wantKey bool }
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys, values
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].wantKey
		if top >= 0 && stack[top].object {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				stack[top].wantKey = !stack[top].wantKey
			}
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey && top == 0 {
				keys = append(keys, tok)
			} else {
				values = append(values, tok)
			}
		}
	}
}

// errorShape is msg with the quoted keys and every run of digits replaced
// by \xff: what is left is the message's template.
func errorShape(msg string, names []string) string {
	for _, k := range names {
		msg = strings.ReplaceAll(msg, keys.Quote(k), "\xff")
	}
	return digits.ReplaceAllString(msg, "\xff")
}

// parseErrorShapes is the shape of every error parseSecret returns.
func parseErrorShapes() map[string]bool {
	shapes := map[string]bool{}
	// 1E700 is valid JSON, but out of float64's range the decoder reports it
	// as an error without a syntax error's offset.
	for _, text := range []string{"", "[]", `{"A":1,"A":2}`, `{}x`, `{"A" 1}`, "1E700", `{"A":"\ud800"}`, `{"A\ud800":1}`, "\xef\xbb\xbf{}"} {
		_, err := secret.Parse([]byte(text))
		shapes[errorShape(err.Error(), []string{"A"})] = true
	}
	return shapes
}

// errorVocabulary is the text of every error the pure core builds, made with
// keys of at most three bytes, so FuzzMerge can tell template words from
// leaked bytes.
func errorVocabulary() string {
	var b strings.Builder
	add := func(err error) {
		if err != nil {
			b.WriteString(err.Error())
			b.WriteByte('\n')
		}
	}
	for _, text := range []string{"", "[]", "{", `{"A":1,"A":2}`, `{}x`, `{"A" 1}`, `{"A":"`, `{"A":"\ud800"}`, "\xef\xbb\xbf{}"} {
		_, err := secret.Parse([]byte(text))
		add(err)
	}
	add(keys.CheckNames(map[string]string{"a-b": "", "c-d": ""}))
	add(keys.CheckNames(map[string]string{"A": "\x00", "B": "\x00"}))
	add(keys.CheckDenied(map[string]string{"LD_": "", "ENV": ""}, nil))
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"
	for _, env := range [][]string{
		{"A=arn:aws:secretsmanager:x"},
		{"A=arn:aws:secretsmanager:us-east-1:123456789012:nope:s"},
		{"A=arn:aws:secretsmanager::123456789012:secret:s"},
		{"A=arn:aws:secretsmanager:us-east-1:1:secret:s"},
		{"A=arn:aws:secretsmanager:us-east-1:123456789012:secret:s\x01"},
		{"A=" + arn + strings.Repeat("x", store.MaxSecretIDLen)},
	} {
		_, err := findReferences(env)
		add(err)
	}
	v := store.SecretVersion{ID: "s"}
	refs := []reference{{Name: "A", Version: v, JSONKey: "k"}}
	for _, text := range []string{"x", `{"j":1}`, `{"k":"\u0000"}`} {
		_, _, err := resolveReferences(refs, map[store.SecretVersion]string{v: text}, nil)
		add(err)
	}
	_, _, err := resolveReferences([]reference{{Name: "A", Version: v}}, map[store.SecretVersion]string{v: "\x00"}, nil)
	add(err)
	return b.String()
}
