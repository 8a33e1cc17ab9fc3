package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestDescribeSource covers each kind of source check can name.
func TestDescribeSource(t *testing.T) {
	t.Parallel()
	res := mergeResult{
		Set: map[string]source{
			"NEW":      {Secret: "app/prod"},
			"REPLACED": {Secret: "app/prod", Override: true},
			"REF":      {Secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", Ref: true},
			"PARAM":    {Secret: "arn:aws:ssm:us-east-1:123456789012:parameter/app/db", Ref: true},
			"FROMPATH": {Secret: "ssm:/app/prod"},
		},
		Kept: map[string]string{"KEPT": "app/common", "KEPTPATH": "ssm:/app/common"},
	}
	for _, tc := range []struct{ name, want string }{
		{"NEW", "secret app/prod"},
		{"REPLACED", "secret app/prod, replacing the environment's value (--override)"},
		{"REF", "reference to arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"},
		{"KEPT", "environment, kept over secret app/common"},
		{"PARAM", "parameter arn:aws:ssm:us-east-1:123456789012:parameter/app/db"},
		{"FROMPATH", "parameters under /app/prod"},
		{"KEPTPATH", "environment, kept over parameters under /app/common"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describeSource(tc.name, res); got != tc.want {
				t.Errorf("describeSource(%s) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

// TestCheckGolden pins check's table: names and sources, never values.
func TestCheckGolden(t *testing.T) {
	t.Parallel()
	res := goldenResult()
	var out bytes.Buffer
	if err := writeCheck(&out, res); err != nil {
		t.Fatal(err)
	}
	for _, kv := range res.Env {
		if _, v, _ := strings.Cut(kv, "="); len(v) > 3 && strings.Contains(out.String(), v) {
			t.Errorf("check printed the value %q", v)
		}
	}
	golden(t, "check.golden", out.String())
}
