package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"

func TestParseSecretID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		id      string
		want    SecretVersion
		wantKey string
	}{
		{"name", "myapp/prod", SecretVersion{ID: "myapp/prod"}, ""},
		{"name with every allowed character", "a/b_c+d=e.f@g-h", SecretVersion{ID: "a/b_c+d=e.f@g-h"}, ""},
		{"full ARN", testARN, SecretVersion{ID: testARN, Region: "us-east-1"}, ""},
		{"partial ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", SecretVersion{ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", Region: "eu-west-1"}, ""},
		{"name with slashes in ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/app/db-AbCdEf", SecretVersion{ID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/app/db-AbCdEf", Region: "us-east-1"}, ""},
		{"aws-cn", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf", SecretVersion{ID: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf", Region: "cn-north-1"}, ""},
		{"aws-us-gov", "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf", SecretVersion{ID: "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf", Region: "us-gov-west-1"}, ""},
		{"json-key", testARN + ":password", SecretVersion{ID: testARN, Region: "us-east-1"}, "password"},
		{"ECS json-key with empty version fields", testARN + ":password::", SecretVersion{ID: testARN, Region: "us-east-1"}, "password"},
		{"ECS all fields empty", testARN + ":::", SecretVersion{ID: testARN, Region: "us-east-1"}, ""},
		{"json-key and stage", testARN + ":password:AWSPREVIOUS", SecretVersion{ID: testARN, Region: "us-east-1", Stage: "AWSPREVIOUS"}, "password"},
		{"stage only", testARN + "::AWSPREVIOUS:", SecretVersion{ID: testARN, Region: "us-east-1", Stage: "AWSPREVIOUS"}, ""},
		{"custom stage", testARN + "::blue:", SecretVersion{ID: testARN, Region: "us-east-1", Stage: "blue"}, ""},
		{"version id only", testARN + ":::EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", SecretVersion{ID: testARN, Region: "us-east-1", VersionID: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"}, ""},
		{"every field", testARN + ":k:AWSCURRENT:v1", SecretVersion{ID: testARN, Region: "us-east-1", Stage: "AWSCURRENT", VersionID: "v1"}, "k"},
		{"longest allowed", strings.Repeat("n", MaxSecretIDLen), SecretVersion{ID: strings.Repeat("n", MaxSecretIDLen)}, ""},
		// A name holds no ':', so what follows one is the ARN's fields.
		{"ARN-like name without the arn: prefix", "aws:secretsmanager:x", SecretVersion{ID: "aws", Stage: "x"}, "secretsmanager"},
		{"name with a stage", "myapp/staging::AWSPREVIOUS:", SecretVersion{ID: "myapp/staging", Stage: "AWSPREVIOUS"}, ""},
		{"name with a stage, no trailing colon", "myapp/staging::AWSPREVIOUS", SecretVersion{ID: "myapp/staging", Stage: "AWSPREVIOUS"}, ""},
		{"name with a version id", "myapp/staging:::v1", SecretVersion{ID: "myapp/staging", VersionID: "v1"}, ""},
		{"name with a json-key", "myapp/staging:password", SecretVersion{ID: "myapp/staging"}, "password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, key, err := ParseSecretID(tc.id)
			if err != nil {
				t.Fatalf("parseSecretID(%q): %v", tc.id, err)
			}
			if got != tc.want || key != tc.wantKey {
				t.Errorf("parseSecretID(%q) = %+v, %q; want %+v, %q", tc.id, got, key, tc.want, tc.wantKey)
			}
		})
	}
}

func TestParseSecretIDErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want string
	}{
		{"empty", "", "empty secret id"},
		{"name with too many fields", "app:k:s:v:x", "expected NAME[:JSON-KEY:VERSION-STAGE:VERSION-ID]"},
		{"empty name before fields", "::AWSPREVIOUS:", "the name before the first ':' is empty"},
		{"too long", strings.Repeat("n", MaxSecretIDLen+1), "secret id is 2049 bytes; the limit is 2048"},
		{"space", "my app", "contains a space or control character"},
		{"newline", "app\n", "contains a space or control character"},
		{"tab", "\tapp", "contains a space or control character"},
		{"NUL", "app\x00", "contains a space or control character"},
		{"DEL", "app\x7f", "contains a space or control character"},
		{"C1 NEL", "app\u0085", "contains a space or control character"},
		{"C1 CSI", "app\u009b31m", "contains a space or control character"},
		{"invalid UTF-8", "app\xff", "is not valid UTF-8"},
		{"lone continuation byte", "app\x85", "is not valid UTF-8"},
		{"too few fields", "arn:aws:secretsmanager:us-east-1:123456789012:secret", "malformed ARN"},
		{"too many fields", testARN + ":k:s:v:extra", "malformed ARN"},
		{"bare prefix", "arn:aws:secretsmanager:", "malformed ARN"},
		{"another service", "arn:aws:ssm:us-east-1:123456789012:parameter:db", "is not a Secrets Manager secret"},
		{"not a secret resource", "arn:aws:secretsmanager:us-east-1:123456789012:rotation:db", "is not a Secrets Manager secret"},
		{"empty partition", "arn::secretsmanager:us-east-1:123456789012:secret:db", "partition, region and name must not be empty"},
		{"empty region", "arn:aws:secretsmanager::123456789012:secret:db", "partition, region and name must not be empty"},
		{"empty name", "arn:aws:secretsmanager:us-east-1:123456789012:secret:", "partition, region and name must not be empty"},
		{"short account", "arn:aws:secretsmanager:us-east-1:12345:secret:db", "the account must be 12 digits"},
		{"letters in account", "arn:aws:secretsmanager:us-east-1:12345678901a:secret:db", "the account must be 12 digits"},
		{"empty account", "arn:aws:secretsmanager:us-east-1::secret:db", "the account must be 12 digits"},
		{"region with '_'", "arn:aws:secretsmanager:us_east_1:123456789012:secret:db", `region "us_east_1" is not a valid AWS region`},
		{"region with '/'", "arn:aws:secretsmanager:us/east:123456789012:secret:db", `region "us/east" is not a valid AWS region`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, key, err := ParseSecretID(tc.id)
			if err == nil {
				t.Fatalf("parseSecretID(%q) = %+v, %q; want an error", tc.id, v, key)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseSecretID(%q) = %q; want it to contain %q", tc.id, err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\x00\n\t\x7f\u0085\u009b") || !utf8.ValidString(err.Error()) {
				t.Errorf("error %q holds a raw control character", err)
			}
		})
	}
}

func TestIsReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  bool
	}{
		{testARN, true},
		{testARN + ":password::", true},
		{"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db", true},
		{"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db", true},
		{"arn:aws:secretsmanager:", true}, // a reference, though malformed: parsing it then fails closed
		{"", false},
		{"myapp/prod", false},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/db", true}, // Parameter Store
		{"arn:aws:s3:::bucket/key", false},
		{"arn:aws-iso:secretsmanager:us-iso-east-1:123456789012:secret:db", false},
		{"ARN:AWS:SECRETSMANAGER:us-east-1:123456789012:secret:db", false},
		{" " + testARN, false},
		{"see " + testARN, false},
		{"postgres://user@host/db?secret=" + testARN, false},
		{"arn:aws:secretsmanager", false},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			if got := IsReference(tc.value); got != tc.want {
				t.Errorf("isReference(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestSecretVersionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    SecretVersion
		want string
	}{
		{SecretVersion{ID: "app"}, "app"},
		{SecretVersion{ID: "app", Stage: "AWSPREVIOUS"}, "app (AWSPREVIOUS)"},
		{SecretVersion{ID: "app", VersionID: "v1"}, "app (version v1)"},
		{SecretVersion{ID: "app", Stage: "AWSCURRENT", VersionID: "v1"}, "app (version v1)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.v.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
