package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A secret is named either by its name (or partial name) in the configured
// region, or by an ARN, which carries its own partition and region. ECS's
// valueFrom syntax appends three optional fields to the ARN:
//
//	arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]
//
// Secret names cannot contain ':' (Secrets Manager allows letters, digits and
// /_+=.@-), so the fields split unambiguously, and the same three fields are
// accepted after a name: myapp/staging::AWSPREVIOUS: is the previous version
// of myapp/staging, where a lookup of the whole text could only fail.

// maxSecretIDLen is the API's limit on SecretId (GetSecretValue: 1-2048).
const MaxSecretIDLen = 2048

// SecretVersion identifies one request: a secret and, optionally, a version.
// It is comparable, so equal requests can be fetched once.
type SecretVersion struct {
	ID        string // name, partial ARN or full ARN, without the ECS fields
	Region    string // from the ARN; "" means the configured region
	Stage     string // version stage, "" for the default (AWSCURRENT)
	VersionID string
}

// String names the secret as the user wrote it, for messages.
func (s SecretVersion) String() string {
	switch {
	case s.VersionID != "":
		return s.ID + " (version " + s.VersionID + ")"
	case s.Stage != "":
		return s.ID + " (" + s.Stage + ")"
	}
	return s.ID
}

// partitions are the ones whose ARNs mark a value as a reference.
var partitions = []string{"aws", "aws-cn", "aws-us-gov"}

// IsReference reports whether an environment value is a Secrets Manager or
// Parameter Store ARN to be resolved: the whole value must start with
// arn:PARTITION:secretsmanager: or arn:PARTITION:ssm:.
// Text that merely contains an ARN later on is left alone.
func IsReference(value string) bool {
	if IsParameterARN(value) {
		return true
	}
	for _, p := range partitions {
		if strings.HasPrefix(value, "arn:"+p+":secretsmanager:") {
			return true
		}
	}
	return false
}

// ParseSecretID parses one secret id from SECRET_ID, --secret-id or a
// reference, returning the version to fetch and the json-key field ("" when
// absent). It rejects, before any network call, what the API would refuse.
func ParseSecretID(s string) (SecretVersion, string, error) {
	if err := checkIDText(s); err != nil {
		return SecretVersion{}, "", err
	}
	if !strings.HasPrefix(s, "arn:") {
		return parseNameFields(s)
	}
	f := strings.Split(s, ":")
	switch {
	case len(f) < 7 || len(f) > 10:
		return SecretVersion{}, "", fmt.Errorf("malformed ARN %q; expected arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON-KEY:VERSION-STAGE:VERSION-ID]", s)
	case f[2] != "secretsmanager" || f[5] != "secret":
		return SecretVersion{}, "", fmt.Errorf("ARN %q is not a Secrets Manager secret", s)
	case f[1] == "" || f[3] == "" || f[6] == "":
		return SecretVersion{}, "", fmt.Errorf("malformed ARN %q: partition, region and name must not be empty", s)
	case !validRegion(f[3]):
		return SecretVersion{}, "", fmt.Errorf("malformed ARN %q: region %q is not a valid AWS region", s, f[3])
	case !isAccountID(f[4]):
		return SecretVersion{}, "", fmt.Errorf("malformed ARN %q: the account must be 12 digits", s)
	}
	f = append(f, "", "", "")
	v := SecretVersion{ID: strings.Join(f[:7], ":"), Region: f[3], Stage: f[8], VersionID: f[9]}
	return v, f[7], nil
}

// parseNameFields reads NAME[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]], the
// ARN's fields after a name.
func parseNameFields(s string) (SecretVersion, string, error) {
	f := strings.Split(s, ":")
	switch {
	case len(f) > 4:
		return SecretVersion{}, "", fmt.Errorf("malformed secret id %q; expected NAME[:JSON-KEY:VERSION-STAGE:VERSION-ID] (a secret name holds no ':')", s)
	case f[0] == "":
		return SecretVersion{}, "", fmt.Errorf("malformed secret id %q: the name before the first ':' is empty", s)
	}
	f = append(f, "", "", "")
	return SecretVersion{ID: f[0], Stage: f[2], VersionID: f[3]}, f[1], nil
}

// checkIDText refuses, for any id (a secret, a parameter ARN, an ssm: path),
// what no service accepts and what is unsafe to echo back in a message.
func checkIDText(s string) error {
	if s == "" {
		return errors.New("empty secret id; remove the extra comma or the empty --secret-id")
	}
	if len(s) > MaxSecretIDLen {
		return fmt.Errorf("secret id is %d bytes; the limit is %d", len(s), MaxSecretIDLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("secret id %q is not valid UTF-8", s)
	}
	for _, r := range s {
		// C0, DEL and the C1 range U+0080..U+009F: terminals act on them
		// when the id is echoed back in an error or a log.
		if r <= ' ' || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("secret id %q contains a space or control character", s)
		}
	}
	return nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
