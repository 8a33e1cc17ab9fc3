package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// This file turns a failed AWS request into one line for a person:
// the subject (a secret, a parameter, a listing), the AWS error code or
// the network error, and what to do. It never uses the SDK's own message,
// which can quote a request or response body, nor a credential endpoint's.

// awsRequest names one AWS request, so that its failure can be described.
// The fields differ by service and call; the description's shape does not.
type awsRequest struct {
	subject     string // what the line starts with: a secret id, "ListSecrets in REGION", a parameter ARN
	service     string // "Secrets Manager", "Parameter Store"
	reach       string // what to check network access to at the deadline; service when ""
	endpointVar string // the setting that points the client at an endpoint
	op          string // the operation an invalid response was meant for; not named when ""
	region      string
	timeout     time.Duration // the overall deadline, for messages

	// trace, when set, is the call's attempts: a deadline with none says the
	// request was never sent, and an unsent request names its endpoint.
	trace *requestTrace

	// codes explains the call's own AWS error codes (not found, access
	// denied and the like) without the subject, or returns "" for a code
	// that is not its own. permanent wraps those in a *permanentError: they
	// concern the subject alone and no retry can change them.
	codes     func(code string) string
	permanent bool
	// kmsDenied is the KMS permission the call needs on the key, named
	// alone when the denial came from KMS (deniedByKMS); "" for a call
	// that uses no key.
	kmsDenied string

	// unanswered is the last resort: no code, no response, no network error.
	unanswered string
}

// describe turns err, the SDK's error for r, into one line.
func (r awsRequest) describe(ctx context.Context, err error) error {
	code := apiCode(err)
	// Credentials first: a credential source that never answers also ends
	// at the deadline, and the service was then never asked.
	if msg, ok := describeCredentialError(err, late(ctx), r.timeout); ok {
		return fmt.Errorf("%s: %s", r.subject, msg)
	}
	if late(ctx) {
		return r.deadline(code, err)
	}
	if code != "" {
		text := r.codes(code)
		if r.kmsDenied != "" && deniedByKMS(err) {
			text = fmt.Sprintf("access denied by KMS (%s); the role needs %s on its KMS key", code, r.kmsDenied)
		}
		if text != "" {
			err := fmt.Errorf("%s: %s", r.subject, text)
			if r.permanent {
				return &permanentError{err}
			}
			return err
		}
		return fmt.Errorf("%s: %s", r.subject, r.sharedCode(code))
	}
	var unsent *unsentError
	if errors.As(err, &unsent) {
		endpoint := ""
		if r.trace != nil {
			endpoint = r.trace.endpoint
		}
		return fmt.Errorf("%s: %s", r.subject, unsent.describe(r.service, r.region, endpoint))
	}
	if errors.As(err, new(*smithy.DeserializationError)) {
		return errors.New(r.invalidResponse(r.op))
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 { // 0: the SDK wraps send errors too
		return fmt.Errorf("%s: %s answered HTTP %d", r.subject, r.service, re.HTTPStatusCode())
	}
	if ne := netError(err); ne != "" {
		return fmt.Errorf("%s: cannot reach %s: %s", r.subject, r.service, ne)
	}
	return fmt.Errorf("%s: %s", r.subject, r.unanswered)
}

// deadline describes a request the deadline ended, with the last answer
// or network error that kept it retrying.
func (r awsRequest) deadline(code string, err error) error {
	why := ""
	switch ne := netError(err); {
	case code != "":
		why = "; the last answer was " + code
	case ne != "":
		why = "; the last error was " + ne
	case r.trace != nil && r.trace.attempts == 0:
		// Nothing was sent: the deadline passed before the first
		// attempt (SECRETENV_TIMEOUT=1ms), not on the network.
		return fmt.Errorf("%s: the %s deadline passed before the request was sent; raise --timeout", r.subject, r.timeout)
	}
	reach := r.reach
	if reach == "" {
		reach = r.service
	}
	return fmt.Errorf("%s: no answer within the %s deadline%s; check network access to %s or raise --timeout", r.subject, r.timeout, why, reach)
}

// sharedCode explains the codes every AWS service answers the same way.
func (r awsRequest) sharedCode(code string) string {
	switch code {
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature":
		return fmt.Sprintf("AWS rejected the credentials (%s); check AWS_PROFILE, the access key or the role", code)
	case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
		return fmt.Sprintf("the AWS credentials have expired (%s); refresh them (aws sso login, a new session token) or use a role", code)
	}
	return fmt.Sprintf("%s refused the request (%s)", r.service, code)
}

// invalidResponse is the line for an answer the SDK could not read as a
// response to op (not named when ""): an endpoint or a proxy that is not
// the service.
func (r awsRequest) invalidResponse(op string) string {
	if op != "" {
		op = " for " + op
	}
	return fmt.Sprintf("%s: %s sent a response that is not valid%s; check %s or any proxy in between", r.subject, r.service, op, r.endpointVar)
}

// withLastError adds the last attempt's error when the deadline ended the
// call in a backoff sleep, where the SDK returns only "canceled".
func withLastError(ctx context.Context, err error, tr requestTrace) error {
	if late(ctx) && tr.lastErr != nil {
		return errors.Join(err, tr.lastErr)
	}
	return err
}

// apiCode is the AWS error code in err's chain, or "".
func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// late reports whether ctx's deadline has passed. ctx.Err can still be nil
// for a moment after it has, when a timer inside the SDK fires first.
func late(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// netError returns the text of a network error in err's chain, or "". Such
// text names addresses and system errors, never bodies.
func netError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error()
	}
	return ""
}

// describeCredentialError recognises a failure to obtain credentials, which
// the SDK reports from its signing step as "get identity: ...", and names the
// source that failed. late means the deadline passed first. The SDK's own
// message lists the whole provider chain and can quote a credential
// endpoint's response body; the user needs one line without either.
func describeCredentialError(err error, late bool, timeout time.Duration) (string, bool) {
	text := err.Error()
	if !strings.Contains(text, "get identity:") {
		return "", false
	}
	const noCredentials = "no AWS credentials found%s; set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with a task, pod or instance role"
	var pe *os.PathError
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("cannot load AWS credentials: %s: %v", pe.Path, pe.Err), true
	case fromContainer():
		return describeContainerError(err, late, timeout), true
	case late:
		// Not "no credentials": with SECRETENV_TIMEOUT=1ms even static
		// keys in the environment end here.
		return fmt.Sprintf("the %s deadline passed while getting AWS credentials; raise --timeout, or check AWS_PROFILE and the task, pod or instance role", timeout), true
	case strings.Contains(text, "EC2 IMDS") || strings.Contains(text, "ec2imds"):
		return fmt.Sprintf(noCredentials, ""), true
	}
	return "cannot load AWS credentials; check AWS_PROFILE and the credential settings", true
}

// fromContainer reports whether the SDK's chain gets credentials from an ECS
// or EKS Pod Identity endpoint: no profile is chosen and the agent's
// variables are set. (Static keys would have been used before either.)
func fromContainer() bool {
	return os.Getenv("AWS_PROFILE") == "" &&
		(os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" || os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "")
}

// describeContainerError says why the container credentials endpoint gave no
// credentials. The endpoint's error body is never shown.
func describeContainerError(err error, late bool, timeout time.Duration) string {
	const what = "cannot load AWS credentials from the container credentials endpoint"
	if file := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
		// The SDK reports a missing token file as text only.
		f, openErr := os.Open(file)
		if openErr != nil {
			return fmt.Sprintf("%s: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %v", what, openErr)
		}
		f.Close()
	}
	var status interface{ HTTPStatusCode() int }
	var de *smithy.DeserializationError
	switch ne := netError(err); {
	case late:
		return fmt.Sprintf("%s within the %s deadline; check AWS_CONTAINER_CREDENTIALS_FULL_URI (or _RELATIVE_URI) or raise --timeout", what, timeout)
	case errors.As(err, &status) && status.HTTPStatusCode() != 0:
		return fmt.Sprintf("%s: it answered HTTP %d; check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) and the task or pod role", what, status.HTTPStatusCode())
	case errors.As(err, &de):
		return fmt.Sprintf("%s: its answer is not valid credentials JSON; check AWS_CONTAINER_CREDENTIALS_FULL_URI", what)
	case ne != "":
		return fmt.Sprintf("%s: %s", what, ne)
	}
	return what
}
