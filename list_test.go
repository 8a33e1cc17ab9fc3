package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/secretenv/secretenv/internal/store"
)

// TestWriteList pins list's table and its JSON.
func TestWriteList(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	secrets := []store.ListedSecret{
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
