package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
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
			if got := terminalSafe(tc.in); got != tc.want {
				t.Errorf("terminalSafe(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestWriteList pins list's table and its JSON.
func TestWriteList(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	secrets := []listedSecret{
		{Name: "myapp/prod", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:myapp/prod-AbCdEf", Description: "prod\x1b[2J", LastChanged: &when},
		{Name: "myapp/staging", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:myapp/staging-AbCdEf"},
	}
	var out bytes.Buffer
	if err := writeList(&out, secrets); err != nil {
		t.Fatal(err)
	}
	want := "NAME           LAST CHANGED          DESCRIPTION\n" +
		"myapp/prod     2026-03-04 05:06 UTC  prod\\x1b[2J\n" +
		"myapp/staging  -                     \n"
	if out.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", out.String(), want)
	}
	out.Reset()
	if err := writeListJSON(&out, nil); err != nil || out.String() != "[]\n" {
		t.Errorf("no secrets as JSON: %q, %v", out.String(), err)
	}
	out.Reset()
	if err := writeListJSON(&out, secrets[:1]); err != nil {
		t.Fatal(err)
	}
	wantJSON := `[
  {
    "name": "myapp/prod",
    "arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:myapp/prod-AbCdEf",
    "description": "prod\u001b[2J",
    "lastChanged": "2026-03-04T05:06:07Z"
  }
]
`
	if out.String() != wantJSON {
		t.Errorf("JSON got:\n%s\nwant:\n%s", out.String(), wantJSON)
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
			got := jsonTerminalSafe(enc)
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
