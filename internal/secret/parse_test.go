package secret

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestParseSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want map[string]string
	}{
		{"empty object", `{}`, map[string]string{}},
		{"string", `{"A":"hello world"}`, map[string]string{"A": "hello world"}},
		{"string with quotes and dollar", `{"A":"it's \"$HOME\" \\ ok"}`, map[string]string{"A": `it's "$HOME" \ ok`}},
		{"string with newline", `{"PEM":"-----BEGIN-----\nMIIB\n-----END-----\n"}`, map[string]string{"PEM": "-----BEGIN-----\nMIIB\n-----END-----\n"}},
		{"string with equals", `{"DSN":"a=b;c==d="}`, map[string]string{"DSN": "a=b;c==d="}},
		{"utf-8", `{"A":"héllo 世界 😀"}`, map[string]string{"A": "héllo 世界 😀"}},
		{"unicode escapes", `{"A":"\u00e9\u4e16\ud83d\ude00\u0041"}`, map[string]string{"A": "é世😀A"}},
		{"surrogate pairs, upper-case hex", `{"A":"\uD83D\uDE00x\ud83d\ude00"}`, map[string]string{"A": "😀x😀"}},
		{"escaped backslash before a u", `{"A":"\\ud800"}`, map[string]string{"A": `\ud800`}},
		{"surrogate kept escaped in a nested value", `{"O":{"s":"\ud800"}}`, map[string]string{"O": `{"s":"\ud800"}`}},
		{"BOM inside a value", "{\"A\":\"\ufeffx\"}", map[string]string{"A": "\ufeffx"}},
		{"escaped control characters", `{"A":"\t\r\n\b\f\/"}`, map[string]string{"A": "\t\r\n\b\f/"}},
		{"empty string", `{"A":""}`, map[string]string{"A": ""}},
		{"integer", `{"N":42}`, map[string]string{"N": "42"}},
		{"decimal keeps trailing zero", `{"N":1.50}`, map[string]string{"N": "1.50"}},
		{"big integer stays whole", `{"N":12345678901234567890}`, map[string]string{"N": "12345678901234567890"}},
		{"negative zero", `{"N":-0}`, map[string]string{"N": "-0"}},
		{"exponent", `{"N":1e-3}`, map[string]string{"N": "1e-3"}},
		{"capital exponent", `{"N":-2.5E+10}`, map[string]string{"N": "-2.5E+10"}},
		{"true", `{"B":true}`, map[string]string{"B": "true"}},
		{"false", `{"B":false}`, map[string]string{"B": "false"}},
		{"null is empty", `{"Z":null}`, map[string]string{"Z": ""}},
		{"nested object compact", `{"O": { "a" : [ 1 , 2.50 ] , "b" : { } } }`, map[string]string{"O": `{"a":[1,2.50],"b":{}}`}},
		{"array compact", `{"L":[ "x" , null , true , 1e3 ]}`, map[string]string{"L": `["x",null,true,1e3]`}},
		{"nested string kept escaped", `{"O":{"s":"a\"b\u00e9"}}`, map[string]string{"O": `{"s":"a\"b\u00e9"}`}},
		{"whitespace around", " \n\t{ \"A\" : \"x\" , \"B\" : 1 }\n ", map[string]string{"A": "x", "B": "1"}},
		{"keys not validated here", `{"not valid":1,"":2}`, map[string]string{"not valid": "1", "": "2"}},
		{"many keys", `{"A":1,"B":"2","C":null,"D":[]}`, map[string]string{"A": "1", "B": "2", "C": "", "D": "[]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.text))
			if err != nil {
				t.Fatalf("parseSecret(%q): %v", tc.text, err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("parseSecret(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseSecretErrors(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	tests := []struct {
		name    string
		text    string
		want    string // substring of the error
		notJSON bool   // errNotObject expected
	}{
		{"array", `["` + canary + `"]`, "not a JSON object", true},
		{"string", `"` + canary + `"`, "not a JSON object", true},
		{"number", `12345`, "not a JSON object", true},
		{"number beyond float64", ` 1E700 `, "not a JSON object", true},
		{"true", `true`, "not a JSON object", true},
		{"null", `null`, "not a JSON object", true},
		{"empty", ``, "ends too early", false},
		{"whitespace", " \n\t ", "ends too early", false},
		{"truncated in value", `{"A":"` + canary, "ends too early", false},
		{"truncated after colon", `{"A":`, "ends too early", false},
		{"truncated before close", `{"A":"` + canary + `"`, "ends too early", false},
		{"trailing garbage", `{"A":"` + canary + `"} ` + canary, "unexpected data after the object", false},
		{"second object", `{"A":"` + canary + `"}{}`, "unexpected data after the object", false},
		{"bad literal", `{"A":` + canary + `}`, "syntax error at byte", false},
		{"missing colon", `{"A" "` + canary + `"}`, "syntax error at byte", false},
		{"single quotes", `{'A':'` + canary + `'}`, "syntax error at byte", false},
		{"trailing comma", `{"A":"` + canary + `",}`, "secret is not valid JSON: line 1: a trailing comma after the last member; JSON allows none", false},
		{"trailing comma on its own line", "{\n  \"A\": \"" + canary + "\",\n\n}", "secret is not valid JSON: line 2: a trailing comma", false},
		{"trailing comma nested", `{"A":[1,` + "\n]}", "secret is not valid JSON: line 1: a trailing comma", false},
		{"bad escape", `{"A":"` + canary + `\x"}`, "syntax error at byte", false},
		{"raw newline in string", "{\"A\":\"" + canary + "\n\"}", "syntax error at byte", false},
		{"bad nested", `{"A":{"b":` + canary + `}}`, "syntax error at byte", false},
		{"lone high surrogate", `{"A":"` + canary + `\ud800y"}`, `value of key "A" holds a lone UTF-16 surrogate escape`, false},
		{"lone low surrogate", `{"B":1,"A":"x\uDC00` + canary + `"}`, `value of key "A" holds a lone UTF-16 surrogate escape`, false},
		{"high surrogate then a non-low", `{"A":"\ud83d\u0041` + canary + `"}`, `value of key "A" holds a lone UTF-16 surrogate escape`, false},
		{"two highs", `{"A":"\ud83d\ud83d\ude00"}`, `value of key "A" holds a lone`, false},
		{"high surrogate at the end", `{"A":"` + canary + `\ud83d"}`, `value of key "A" holds a lone`, false},
		{"lone surrogate in a key", `{"A":1,"K\ud800":"` + canary + `"}`, "the key at byte 8 holds a lone UTF-16 surrogate escape", false},
		{"byte-order mark", "\xef\xbb\xbf{\"A\":\"" + canary + "\"}", "secret starts with a byte-order mark (U+FEFF); save it without a BOM", false},
		{"duplicate key", `{"A":"` + canary + `","A":"` + canary + `"}`, `key "A" appears twice`, false},
		{"duplicate key with other values", `{"A":1,"B":2,"A":1}`, `key "A" appears twice`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text))
			if err == nil {
				t.Fatalf("parseSecret(%q) succeeded, want an error", tc.text)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseSecret(%q) = %q, want it to contain %q", tc.text, err, tc.want)
			}
			if errors.Is(err, ErrNotObject) != tc.notJSON {
				t.Errorf("errors.Is(%q, errNotObject) = %v, want %v", err, !tc.notJSON, tc.notJSON)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "Zq7") {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

// FuzzParseSecret checks parseSecret's fast path against the token-by-token
// parser: for every input both give the same variables or the same error,
// and the fast path never accepts what the strict parser rejects.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{
		`{"A":"x","B":1.50,"C":null,"D":{"x":[1,"a:b"]},"E":true}`,
		`{"A":1,"A":2}`, `{"A":1,"\u0041":2}`, `{"a\"b:":"c\\"}`,
		`{"A":"\ud800"}`, `{"A":"\udc00\ud83d\ude00"}`, `{"\ud83d":1}`, "\xef\xbb\xbf{}", "{\"A\":\"\xff\"}", `null`, `[]`, `"s"`, `{}`, `{} {}`, `{"A":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		strict, strictErr := parseSecretStrict(text)
		fast, ok := parseObject(text)
		if ok && (strictErr != nil || !maps.Equal(fast, strict)) {
			t.Fatalf("parseObject(%q) = %q, but the strict parser gives %q, %v", text, fast, strict, strictErr)
		}
		got, err := Parse(text)
		if fmt.Sprint(err) != fmt.Sprint(strictErr) || !maps.Equal(got, strict) {
			t.Fatalf("parseSecret(%q) = %q, %v; strict parser %q, %v", text, got, err, strict, strictErr)
		}
	})
}
