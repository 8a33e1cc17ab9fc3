package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretenv/secretenv/internal/store"
)

// testARN is a well-formed secret ARN, as internal/store's tests have it.
const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"

func TestFindReferences(t *testing.T) {
	t.Parallel()
	db := store.SecretVersion{ID: testARN, Region: "us-east-1"}
	tests := []struct {
		name    string
		environ []string
		want    []reference
	}{
		{"none", []string{"PATH=/bin", "A=myapp/prod"}, nil},
		{
			"whole secret, json-key and version fields, in environment order",
			[]string{"Z=" + testARN, "PATH=/bin", "A=" + testARN + ":password::", "B=" + testARN + "::AWSPREVIOUS:"},
			[]reference{
				{Name: "Z", Version: db},
				{Name: "A", Version: db, JSONKey: "password"},
				{Name: "B", Version: store.SecretVersion{ID: testARN, Region: "us-east-1", Stage: "AWSPREVIOUS"}},
			},
		},
		{"ARN in the middle of text is not a reference", []string{"A=see " + testARN, "B=x" + testARN}, nil},
		{"SECRET_ID is never a reference", []string{"SECRET_ID=" + testARN, "SECRET_ID2=" + testARN}, []reference{{Name: "SECRET_ID2", Version: db}}},
		{"a SECRET_ID list of ARNs is not a reference", []string{"SECRET_ID=" + testARN + "," + testARN}, nil},
		{"first of duplicated names", []string{"A=plain", "A=" + testARN}, nil},
		{"entries without '=' ignored", []string{testARN, "A=" + testARN}, []reference{{Name: "A", Version: db}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findReferences(tc.environ)
			if err != nil {
				t.Fatalf("findReferences: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("findReferences = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFindReferencesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, want string
	}{
		{"malformed", "arn:aws:secretsmanager:us-east-1", "DB: malformed ARN"},
		{"too many fields", testARN + ":a:b:c:d", "DB: malformed ARN"},
		{"bad account", "arn:aws:secretsmanager:us-east-1:1234:secret:db", "DB: malformed ARN"},
		{"control character", testARN + "\n", "DB: secret id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := findReferences([]string{"PATH=/bin", "DB=" + tc.value})
			if err == nil {
				t.Fatalf("findReferences(DB=%q) succeeded", tc.value)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.want) || !strings.Contains(msg, "--no-references") {
				t.Errorf("error %q; want it to start %q and name --no-references", msg, tc.want)
			}
		})
	}
}

func TestDistinct(t *testing.T) {
	t.Parallel()
	a := store.SecretVersion{ID: "a"}
	aPrev := store.SecretVersion{ID: "a", Stage: "AWSPREVIOUS"}
	b := store.SecretVersion{ID: testARN, Region: "us-east-1"}
	var refs []reference
	for i := range 20 {
		refs = append(refs, reference{Name: fmt.Sprintf("V%d", i), Version: b, JSONKey: fmt.Sprint(i)})
	}
	refs = append(refs, reference{Name: "P", Version: aPrev}, reference{Name: "Q", Version: a})
	got := distinct([]store.SecretVersion{a, a}, refs)
	if want := []store.SecretVersion{a, b, aPrev}; !slices.Equal(got, want) {
		t.Errorf("distinct = %+v, want %+v", got, want)
	}
}

func TestResolveReferences(t *testing.T) {
	t.Parallel()
	obj := store.SecretVersion{ID: "obj"}
	plain := store.SecretVersion{ID: "plain"}
	texts := map[store.SecretVersion]string{
		obj:   `{"password":"hunter2","port":5432,"ratio":1.50,"tls":{"ca":"x"},"none":null}`,
		plain: "-----BEGIN KEY-----\nabc=\n-----END KEY-----\n",
	}
	refs := []reference{
		{Name: "PW", Version: obj, JSONKey: "password"},
		{Name: "PORT", Version: obj, JSONKey: "port"},
		{Name: "RATIO", Version: obj, JSONKey: "ratio"},
		{Name: "TLS", Version: obj, JSONKey: "tls"},
		{Name: "NONE", Version: obj, JSONKey: "none"},
		{Name: "WHOLE", Version: obj},
		{Name: "KEY", Version: plain},
	}
	vals, from, err := resolveReferences(refs, texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantVals := map[string]string{
		"PW": "hunter2", "PORT": "5432", "RATIO": "1.50", "TLS": `{"ca":"x"}`, "NONE": "",
		"WHOLE": texts[obj], "KEY": texts[plain],
	}
	if !maps.Equal(vals, wantVals) {
		t.Errorf("values = %q\nwant %q", vals, wantVals)
	}
	wantFrom := map[string]string{"PW": "obj", "PORT": "obj", "RATIO": "obj", "TLS": "obj", "NONE": "obj", "WHOLE": "obj", "KEY": "plain"}
	if !maps.Equal(from, wantFrom) {
		t.Errorf("from = %q, want %q", from, wantFrom)
	}
}

func TestResolveReferencesErrors(t *testing.T) {
	t.Parallel()
	const canary = "Zq7Canary"
	v := store.SecretVersion{ID: "app", Stage: "AWSPREVIOUS"}
	tests := []struct {
		name string
		ref  reference
		text string
		want string
	}{
		{"absent json-key", reference{Name: "DB_PW", Version: v, JSONKey: "password"}, `{"user":"` + canary + `"}`, `DB_PW: app (AWSPREVIOUS) has no key "password"`},
		{"json-key on plain text", reference{Name: "DB_PW", Version: v, JSONKey: "password"}, canary, `DB_PW: app (AWSPREVIOUS): json-key "password" needs a JSON object, but secret is not valid JSON`},
		{"json-key on an array", reference{Name: "DB_PW", Version: v, JSONKey: "password"}, `["` + canary + `"]`, `DB_PW: app (AWSPREVIOUS): json-key "password" needs a JSON object, but secret is not a JSON object`},
		{"json-key on a string", reference{Name: "DB_PW", Version: v, JSONKey: "password"}, `"` + canary + `"`, `needs a JSON object, but secret is not a JSON object`},
		{"NUL in the key's value", reference{Name: "DB_PW", Version: v, JSONKey: "password"}, `{"password":"` + canary + `\u0000"}`, "DB_PW: value from app (AWSPREVIOUS) contains a NUL byte"},
		{"NUL in a plain-text secret", reference{Name: "KEY", Version: v}, canary + "\x00", "KEY: value from app (AWSPREVIOUS) contains a NUL byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := resolveReferences([]reference{tc.ref}, map[store.SecretVersion]string{v: tc.text}, nil)
			if err == nil {
				t.Fatal("resolveReferences succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "Zq7") {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestNameReferences(t *testing.T) {
	t.Parallel()
	bad := store.SecretVersion{ID: "db", Stage: "blue"}
	other := store.SecretVersion{ID: "other"}
	cause := errors.New("db (blue): secret or version not found")
	fe := &store.FetchError{Version: bad, Err: cause}
	var many []reference
	for _, n := range []string{"A", "B", "C", "D", "E"} {
		many = append(many, reference{Name: n, Version: bad})
	}
	tests := []struct {
		name string
		err  error
		refs []reference
		want string
	}{
		{"not a fetch error", cause, many, cause.Error()},
		{"no reference to it", fe, []reference{{Name: "X", Version: other}}, cause.Error()},
		{"one variable", fe, []reference{{Name: "X", Version: other}, {Name: "DB", Version: bad}}, "DB: " + cause.Error()},
		{"several variables", fe, many[:3], "A, B, C: " + cause.Error()},
		{"many variables shortened", fe, many, "A, B, C and 2 more: " + cause.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nameReferences(tc.err, tc.refs)
			if got.Error() != tc.want {
				t.Errorf("nameReferences = %q, want %q", got, tc.want)
			}
			if !errors.Is(got, cause) {
				t.Errorf("nameReferences lost the cause")
			}
		})
	}
}

// TestNameReferencesSeveral covers the report of several failed secrets:
// the count, at most five names in the order given, each with the
// variables that reference it, and the first error.
func TestNameReferencesSeveral(t *testing.T) {
	t.Parallel()
	var many store.FetchErrors
	for i := range 7 {
		v := store.SecretVersion{ID: fmt.Sprintf("s%d", i)}
		many = append(many, &store.FetchError{Version: v, Err: fmt.Errorf("%s: secret not found", v)})
	}
	refs := []reference{{Name: "DB", Version: many[1].Version}, {Name: "DB2", Version: many[1].Version}, {Name: "LATE", Version: many[6].Version}}
	tests := []struct {
		name string
		err  error
		refs []reference
		want string
	}{
		{"two", many[:2], nil, "2 secrets could not be loaded: s0, s1; the first: s0: secret not found"},
		{"two referenced", many[:2], refs, "2 secrets could not be loaded: s0, s1 (DB, DB2); the first: s0: secret not found"},
		{"capped", many, refs, "7 secrets could not be loaded: s0, s1 (DB, DB2), s2, s3, s4 and 2 more; the first: s0: secret not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nameReferences(tc.err, tc.refs)
			if got.Error() != tc.want {
				t.Errorf("nameReferences = %q, want %q", got, tc.want)
			}
			if !errors.Is(got, many[1]) {
				t.Errorf("nameReferences lost a cause")
			}
		})
	}
}

// TestLoadFailsBeforeFetching covers the mistakes load must catch before it
// loads an AWS configuration or sends a request.
func TestLoadFailsBeforeFetching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    options
		environ []string
		want    string
	}{
		{"nothing to load", options{references: true}, []string{"PATH=/bin"}, "no secret to load: set SECRET_ID or pass --secret-id"},
		{"references off leave nothing to load", options{}, []string{"DB=" + testARN}, "no secret to load"},
		{"empty SECRET_ID entry", options{secretIDs: []string{"a", ""}}, nil, "SECRET_ID: empty secret id"},
		{"malformed ARN in SECRET_ID", options{secretIDs: []string{"arn:aws:secretsmanager:us-east-1"}}, nil, "SECRET_ID: malformed ARN"},
		{"json-key in SECRET_ID", options{secretIDs: []string{testARN + ":password::"}}, nil, `SECRET_ID: ` + testARN + `:password:: names json-key "password"`},
		{"bad reference", options{references: true}, []string{"DB=arn:aws:secretsmanager:x"}, "DB: malformed ARN"},
		{"region with a space", options{secretIDs: []string{"a"}, region: "us east"}, nil, `--region "us east" is not a valid AWS region`},
		{"AWS_REGION with '_' and '/'", options{secretIDs: []string{"a"}, region: "us_east/1"}, []string{"AWS_REGION=us_east/1"}, `AWS_REGION "us_east/1" is not a valid AWS region`},
		{"bad --allow-key", options{secretIDs: []string{"a"}, allowKeys: []string{"LD_*"}}, nil, `--allow-key "LD_*" is not a variable name`},
		{"relative ssm: path", options{secretIDs: []string{"a", "ssm:myapp"}}, nil, "SECRET_ID: ssm:myapp: a Parameter Store path must be absolute"},
		{"parameter ARN in SECRET_ID", options{secretIDs: []string{"arn:aws:ssm:us-east-1:123456789012:parameter/db"}}, nil, "is a Parameter Store parameter; set it as the value of the variable"},
		{"bad parameter reference", options{references: true}, []string{"DB=arn:aws:ssm:us-east-1:123456789012:parameter/a:1"}, "DB: malformed parameter ARN"},
		{"parameter reference of another service", options{references: true}, []string{"DB=arn:aws:ssm:us-east-1:123456789012:document/x"}, "DB: ARN \"arn:aws:ssm:us-east-1:123456789012:document/x\" is not a Parameter Store parameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.timeout = time.Second
			_, err := load(context.Background(), tc.opts, tc.environ, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
