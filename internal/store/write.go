package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// This file is the AWS side of edit and put: read a secret's current
// version, then create it, or write a new version and move AWSCURRENT to it
// by compare-and-swap, each request with a token that makes a retry of it
// harmless.

// Current is a secret's current version as read before a write.
type Current struct {
	Exists    bool
	VersionID string
	// Versionless says the secret exists without any version
	// (CreateSecret without SecretString, as Terraform's
	// aws_secretsmanager_secret leaves it); VersionID and Text are "".
	Versionless bool
	// Text is the SecretString. Binary says the version has only a
	// SecretBinary, NoValue that it has neither (Text is then "").
	Text    string
	Binary  bool
	NoValue bool
}

// ReadCurrent reads the secret's current value and VersionId. A secret that
// does not exist reads as Exists false, to be created on write; one that
// exists without any version reads as Versionless.
func (s *SecretStore) ReadCurrent(ctx context.Context, v SecretVersion) (Current, error) {
	region := s.Region(v)
	if region == "" {
		return Current{}, fmt.Errorf("%s: no AWS region configured; set AWS_REGION or pass --region (or give the secret as a full ARN)", v)
	}
	var tr requestTrace
	// AWSCURRENT is the default stage in AWS; asked for by name because
	// moto (5.2.1) answers a stageless read with the version PutSecretValue
	// last made current, not the one UpdateSecretVersionStage moved
	// AWSCURRENT to, and the compare-and-swap in Swap depends on it.
	out, err := s.client(region).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(v.ID), VersionStage: aws.String("AWSCURRENT"),
	}, callOptions(&tr, false))
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
		return Current{}, withIdentity(ctx, s.who, s.cfg, err, describeFetchError(ctx, v, region, s.timeout, tr, withLastError(ctx, err, tr)))
	}
	cur := Current{Exists: true, VersionID: aws.ToString(out.VersionId)}
	switch {
	case out.SecretString != nil:
		cur.Text = *out.SecretString
	case out.SecretBinary != nil:
		cur.Binary = true
	default:
		cur.NoValue = true
	}
	return cur, nil
}

// Written is a write that succeeded.
type Written struct {
	VersionID string
	// Leftover, when not "", is a line for the person: the version is
	// written and current, but its pending label could not be removed.
	Leftover string
}

// ConflictError is a write refused because someone else wrote the secret
// since the caller read it: created it, or moved AWSCURRENT away from the
// version read. Nothing of the caller's is current.
type ConflictError struct {
	// Now is the secret as read after the refusal; when it could not be
	// read after a CreateSecret, Exists alone is set.
	Now Current
	// leftover says where a pending version was left, or "".
	leftover string
}

func (e *ConflictError) Error() string {
	return "someone else wrote the secret since it was read" + e.leftover
}

// Describe returns race, the caller's description of the conflict, with
// the note on a pending version left behind, if any.
func (e *ConflictError) Describe(race error) error {
	if e.leftover == "" {
		return race
	}
	return fmt.Errorf("%w%s", race, e.leftover)
}

// pendingLabelPrefix starts the staging label a new version carries
// between PutSecretValue and the move of AWSCURRENT to it. A label of its
// own (the prefix and the version's id) keeps AWSCURRENT where it is until
// the compare-and-swap, and says who left it if the process dies between
// the two calls. It is removed either way: a secret carries at most 20
// staging labels in AWS, and a version with none is deprecated and deleted
// by Secrets Manager in time.
const pendingLabelPrefix = "secretenv-pending-"

// pendingCleanupTimeout bounds the removal of the pending label. It runs
// after the write's own deadline or a stop signal too (the label would be
// left otherwise), so it needs a bound of its own.
const pendingCleanupTimeout = 5 * time.Second

// Create makes the secret v names with text as its first version.
// kmsKeyID and description, when not "", are the new secret's. The same
// ClientRequestToken goes with every attempt: a retry of a request that did
// reach Secrets Manager is then recognised, not a second secret. A secret
// that someone else created first is a *ConflictError.
func (s *SecretStore) Create(ctx context.Context, v SecretVersion, text, kmsKeyID, description string) (Written, error) {
	token, err := newRequestToken()
	if err != nil {
		return Written{}, err
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
	if err == nil {
		return Written{VersionID: aws.ToString(out.VersionId)}, nil
	}
	if apiCode(err) != "ResourceExistsException" {
		return Written{}, describeWriteError(ctx, s, v, region, "CreateSecret", tr, withLastError(ctx, err, tr))
	}
	// Someone else created it first, or this is the SDK's retry of our
	// own CreateSecret whose answer was lost: then the current version
	// carries our token as its VersionId.
	now, rerr := s.ReadCurrent(ctx, v)
	if rerr == nil && now.VersionID == token {
		return Written{VersionID: token}, nil
	}
	if rerr != nil {
		now = Current{Exists: true}
	}
	return Written{}, &ConflictError{Now: now}
}

// Swap writes text as a new version of the secret and makes it current
// only if AWSCURRENT is still on base, the version id the caller read
// ("" for a secret without any version): a real compare-and-swap, not a
// re-read before the write. The version is written under a pending
// label, then AWSCURRENT is moved to it with RemoveFromVersionId = base,
// which Secrets Manager refuses when AWSCURRENT is no longer there. A
// version someone else made current meanwhile is a *ConflictError.
func (s *SecretStore) Swap(ctx context.Context, v SecretVersion, text, base string) (Written, error) {
	token, err := newRequestToken()
	if err != nil {
		return Written{}, err
	}
	region := s.Region(v)
	client := s.client(region)
	label := pendingLabelPrefix + token
	var tr requestTrace
	out, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(v.ID), SecretString: aws.String(text), ClientRequestToken: aws.String(token),
		// Only the pending label: without VersionStages, PutSecretValue
		// would move AWSCURRENT here at once, whoever wrote meanwhile.
		VersionStages: []string{label},
	}, callOptions(&tr, true))
	s.log.Debug("put secret value", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if err != nil {
		return Written{}, describeWriteError(ctx, s, v, region, "PutSecretValue", tr, withLastError(ctx, err, tr))
	}
	version := aws.ToString(out.VersionId)
	if version == "" {
		version = token // Secrets Manager uses the token as the VersionId
	}
	if !slices.Contains(out.VersionStages, "AWSCURRENT") {
		// The first value of a secret created without one is made current
		// by PutSecretValue itself; there is no version to swap from then,
		// and the move (without RemoveFromVersionId) fails if someone
		// else's version became current meanwhile.
		in := &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String(v.ID), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(version),
		}
		if base != "" {
			in.RemoveFromVersionId = aws.String(base)
		}
		var tr requestTrace
		_, err = client.UpdateSecretVersionStage(ctx, in, callOptions(&tr, true))
		s.log.Debug("moved AWSCURRENT", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
		if err != nil {
			// Who holds AWSCURRENT now decides. Our version: the SDK retried
			// a move that had succeeded and whose answer was lost (the
			// retry finds AWSCURRENT gone from base's version). Another
			// version: someone else wrote in between; nothing of ours is
			// current.
			now, rerr := s.ReadCurrent(ctx, v)
			switch {
			case rerr == nil && now.VersionID == version:
				err = nil
			case rerr == nil && (!now.Exists || now.VersionID != base):
				return Written{}, &ConflictError{Now: now, leftover: leftover(s.removePending(ctx, v, label, version), v, label, version)}
			default:
				werr := describeWriteError(ctx, s, v, region, "UpdateSecretVersionStage", tr, withLastError(ctx, err, tr))
				if note := leftover(s.removePending(ctx, v, label, version), v, label, version); note != "" {
					werr = fmt.Errorf("%w%s", werr, note)
				}
				return Written{}, werr
			}
		}
	}
	w := Written{VersionID: version}
	if err := s.removePending(ctx, v, label, version); err != nil {
		// Written and current: only the label is left, which is clutter,
		// not a failure.
		w.Leftover = fmt.Sprintf("%s: written, but the label %s is left on version %s (%s); remove it with %s", v, label, version, errorCode(err), removeLabelCommand(v, label, version))
	}
	return w, nil
}

// removePending removes label from version, best effort and bounded, also
// after ctx's deadline or a stop signal. A label already gone (a retry
// after a removal whose answer was lost) is not an error.
func (s *SecretStore) removePending(ctx context.Context, v SecretVersion, label, version string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pendingCleanupTimeout)
	defer cancel()
	region := s.Region(v)
	var tr requestTrace
	_, err := s.client(region).UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(v.ID), VersionStage: aws.String(label), RemoveFromVersionId: aws.String(version),
	}, callOptions(&tr, true))
	s.log.Debug("removed pending label", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if tr.attempts > 1 && apiCode(err) == "InvalidParameterException" {
		return nil
	}
	return err
}

// leftover is the note added to a failure when the pending label could not
// be removed (cleanup is that failure): where the version is and how to
// remove it; "" when cleanup succeeded.
func leftover(cleanup error, v SecretVersion, label, version string) string {
	if cleanup == nil {
		return ""
	}
	return fmt.Sprintf("; a version labelled %s (not current) is left: remove the label with %s", label, removeLabelCommand(v, label, version))
}

// removeLabelCommand is the AWS CLI command that removes label from version.
func removeLabelCommand(v SecretVersion, label, version string) string {
	return fmt.Sprintf("aws secretsmanager update-secret-version-stage --secret-id %s --version-stage %s --remove-from-version-id %s", v.ID, label, version)
}

// errorCode is err's AWS error code, or "no answer" when it has none.
func errorCode(err error) string {
	if code := apiCode(err); code != "" {
		return code
	}
	return "no answer"
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
		return withIdentity(ctx, s.who, s.cfg, err, fmt.Errorf("%s: %s", v, text))
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
