package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// This file is the AWS side of edit and put: read a secret's current
// version, then create it or put a new version, each request with a token
// that makes a retry of it harmless.

// Current is a secret's current version as read before a write.
type Current struct {
	Exists    bool
	VersionID string
	// Versionless says the secret exists without any version
	// (CreateSecret without SecretString, as Terraform's
	// aws_secretsmanager_secret leaves it); VersionID and Text are "".
	Versionless bool
	// Text is the SecretString; Binary says the version has only a
	// SecretBinary (Text is then "").
	Text   string
	Binary bool
}

// ReadCurrent reads the secret's current value and VersionId. A secret that
// does not exist reads as Exists false, to be created on write; so does one
// that exists without any version when DescribeSecret cannot say otherwise.
func (s *SecretStore) ReadCurrent(ctx context.Context, v SecretVersion) (Current, error) {
	region := s.Region(v)
	if region == "" {
		return Current{}, fmt.Errorf("%s: no AWS region configured; set AWS_REGION or pass --region (or give the secret as a full ARN)", v)
	}
	var tr requestTrace
	out, err := s.client(region).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(v.ID)}, callOptions(&tr, false))
	s.log.Debug("read secret", "secret", v.String(), "region", region, "endpoint", tr.endpoint, "attempts", tr.attempts, "ok", err == nil)
	if err != nil {
		if apiCode(err) == "ResourceNotFoundException" && !late(ctx) {
			// Also the answer for a secret that exists without a value
			// (CreateSecret without SecretString, as Terraform's
			// aws_secretsmanager_secret leaves it): CreateSecret would then
			// fail with ResourceExistsException on every run, while
			// PutSecretValue gives it its first version. DescribeSecret
			// tells them apart; if it fails, the secret is taken as missing.
			_, derr := s.client(region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(v.ID)}, callOptions(&tr, false))
			s.log.Debug("describe secret", "secret", v.String(), "region", region, "ok", derr == nil)
			return Current{Exists: derr == nil, Versionless: derr == nil}, nil
		}
		return Current{}, describeFetchError(ctx, v, region, s.timeout, tr, withLastError(ctx, err, tr))
	}
	if out.SecretString == nil {
		return Current{Exists: true, VersionID: aws.ToString(out.VersionId), Binary: true}, nil
	}
	return Current{Exists: true, VersionID: aws.ToString(out.VersionId), Text: *out.SecretString}, nil
}

// Create creates the secret v names with text as its first version and
// returns the version id. kmsKeyID and description, when not "", are the
// new secret's. The same ClientRequestToken goes with every attempt, so a
// retry of a request that did reach Secrets Manager is recognised, not a
// second secret.
func (s *SecretStore) Create(ctx context.Context, v SecretVersion, text, kmsKeyID, description string) (string, error) {
	token, err := newRequestToken()
	if err != nil {
		return "", err
	}
	region := s.Region(v)
	in := &secretsmanager.CreateSecretInput{Name: aws.String(v.ID), SecretString: aws.String(text), ClientRequestToken: aws.String(token)}
	if kmsKeyID != "" {
		in.KmsKeyId = aws.String(kmsKeyID)
	}
	if description != "" {
		in.Description = aws.String(description)
	}
	var tr requestTrace
	out, err := s.client(region).CreateSecret(ctx, in, callOptions(&tr, true))
	s.log.Debug("created secret", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if err != nil {
		return "", describeWriteError(ctx, s, v, region, "CreateSecret", tr, withLastError(ctx, err, tr))
	}
	return aws.ToString(out.VersionId), nil
}

// Put writes text as the secret's new current version and returns its id,
// with one ClientRequestToken over every attempt, as Create does.
func (s *SecretStore) Put(ctx context.Context, v SecretVersion, text string) (string, error) {
	token, err := newRequestToken()
	if err != nil {
		return "", err
	}
	region := s.Region(v)
	var tr requestTrace
	out, err := s.client(region).PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(v.ID), SecretString: aws.String(text), ClientRequestToken: aws.String(token),
	}, callOptions(&tr, true))
	s.log.Debug("put secret value", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if err != nil {
		return "", describeWriteError(ctx, s, v, region, "PutSecretValue", tr, withLastError(ctx, err, tr))
	}
	return aws.ToString(out.VersionId), nil
}

// ValidSecretName reports whether CreateSecret accepts name: ASCII letters,
// digits and /_+=.@-, at most 512 characters.
func ValidSecretName(name string) bool {
	if len(name) > 512 {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("/_+=.@-", r)) {
			return false
		}
	}
	return true
}

// callOptions traces a call's attempts into tr; a write also stops
// retrying LimitExceededException.
func callOptions(tr *requestTrace, write bool) func(*secretsmanager.Options) {
	return func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, traceAttempts(tr))
		if write {
			o.Retryer = writeRetryer{o.Retryer}
		}
	}
}

// writeRetryer retries what reads retry except LimitExceededException,
// which the SDK counts as throttling but which for a write means a
// Secrets Manager quota (such as versions of one secret) that no retry
// frees: the person should hear it now, not at the deadline.
type writeRetryer struct{ aws.Retryer }

func (r writeRetryer) IsErrorRetryable(err error) bool {
	return apiCode(err) != "LimitExceededException" && r.Retryer.IsErrorRetryable(err)
}

// newRequestToken is a random (version 4) UUID for ClientRequestToken,
// which Secrets Manager also uses as the new VersionId.
func newRequestToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cannot generate a request token: %v", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// describeWriteError turns an error from op (PutSecretValue, CreateSecret)
// into one line naming the AWS error code and what to do; the codes that
// reading shares are left to GetSecretValue's description. Never the SDK's
// message, which can quote the request.
func describeWriteError(ctx context.Context, s *SecretStore, v SecretVersion, region, op string, tr requestTrace, err error) error {
	req := getSecretValueRequest(v, region, s.timeout, &tr)
	code := apiCode(err)
	if late(ctx) {
		code = ""
	}
	if text := describeWriteCode(code, op); text != "" {
		return fmt.Errorf("%s: %s", v, text)
	}
	if late(ctx) && tr.attempts > 0 {
		// A request sent may have been carried out: a second run would then
		// find the version changed and name the keys "someone else" changed.
		return fmt.Errorf("%w; the %s may have reached Secrets Manager, so check the secret's current version before running again", req.describe(ctx, err), op)
	}
	if code == "" && errors.As(err, new(*smithy.DeserializationError)) {
		return fmt.Errorf("%s; the write may have happened, so check the secret's versions before trying again", req.invalidResponse(op))
	}
	return req.describe(ctx, err)
}

// describeWriteCode explains the error codes of a write, or returns "".
func describeWriteCode(code, op string) string {
	switch code {
	case "AccessDeniedException":
		return fmt.Sprintf("access denied to %s (%s); the role needs secretsmanager:%s on this secret, and kms:GenerateDataKey and kms:Encrypt on a customer KMS key (examples/iam-policy-maintainer.json)", op, code, op)
	case "ResourceExistsException":
		return fmt.Sprintf("someone else created the secret at the same moment (%s); nothing written; run the command again", code)
	case "EncryptionFailure":
		return fmt.Sprintf("cannot encrypt the secret (%s); check the KMS key (--kms-key-id) is enabled and the role may use it", code)
	case "LimitExceededException":
		return fmt.Sprintf("Secrets Manager refused the write (%s): too many versions or secrets; retry in a while", code)
	case "InvalidRequestException":
		return fmt.Sprintf("Secrets Manager refused the write (%s); the secret may be scheduled for deletion (restore it first)", code)
	case "InvalidParameterException", "ValidationException":
		return fmt.Sprintf("Secrets Manager refused a parameter of %s (%s); check --kms-key-id, --description and the name", op, code)
	}
	return ""
}
