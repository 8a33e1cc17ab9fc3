package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// maxConcurrent bounds the GetSecretValue calls in flight. GetSecretValue's
// quota is 10,000 requests/s per region, so a task's few secrets are best
// fetched at once; the bound keeps a task with hundreds of references from
// opening hundreds of connections. Each connection costs a TLS handshake of
// CPU, which a small task has little of: with 8, 20 secrets over TLS took
// 40% less time than with 16 on the benchmark's 2 CPUs (bench/run.sh), and
// 8 stays under the SDK's 10 idle connections per host, so every connection
// is reused rather than closed and dialled again.
const maxConcurrent = 8

// Backoff for retried requests: full jitter over an exponential window, so a
// fleet that restarts together spreads out instead of retrying in lockstep.
const (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 5 * time.Second
)

// secretStore fetches secrets with one AWS configuration: one credential
// chain and one HTTP client, and a Secrets Manager client per region.
type secretStore struct {
	cfg     aws.Config
	log     *slog.Logger
	timeout time.Duration // the overall deadline, for messages

	mu      sync.Mutex
	clients map[string]*secretsmanager.Client
}

// newSecretStore loads the SDK's own configuration (credential chain,
// profiles, endpoint and CA bundle settings). region, when not empty,
// replaces the configured default region.
func newSecretStore(ctx context.Context, region string, timeout time.Duration, log *slog.Logger) (*secretStore, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(newRetryer),
		// The SDK can log request and response bodies; secretenv never lets
		// it log anything.
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, describeConfigError(err)
	}
	if cfg.Credentials != nil && log.Enabled(ctx, slog.LevelDebug) {
		cfg.Credentials = &credentialLogger{CredentialsProvider: cfg.Credentials, log: log}
	}
	return &secretStore{cfg: cfg, log: log, timeout: timeout, clients: make(map[string]*secretsmanager.Client)}, nil
}

// newRetryer retries throttling, 5xx and connection errors until the
// context's deadline: the deadline, not an attempt count, bounds the work.
// The SDK's retry token bucket is off because it would give up on a
// throttled fleet long before the deadline.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 1 << 20
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(backoffDelay)
		// First, so that the connection check, which retries every error
		// from net/http (smithyhttp.RequestSendError), never sees one that
		// arose before a connection was asked for.
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(neverRetryUnsent)}, o.Retryables...)
	})
}

// neverRetryUnsent refuses to retry a failure that arose before the request
// left the process: the same settings would fail the same way.
func neverRetryUnsent(err error) aws.Ternary {
	if errors.As(err, new(*unsentError)) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// backoffDelay waits a uniformly random time up to base·2^(attempt-1),
// capped at backoffMax ("full jitter").
func backoffDelay(attempt int, _ error) (time.Duration, error) {
	window := backoffMax
	if attempt < 16 {
		window = min(backoffMax, backoffBase<<max(attempt-1, 0))
	}
	return rand.N(window) + time.Millisecond, nil
}

// client returns the Secrets Manager client for region, creating it once.
// Clients share the configuration's HTTP client, so connections are reused.
func (s *secretStore) client(region string) *secretsmanager.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[region]
	if !ok {
		c = secretsmanager.NewFromConfig(s.cfg, func(o *secretsmanager.Options) {
			o.Region = region
			o.APIOptions = append(o.APIOptions, markUnsent)
		})
		s.clients[region] = c
	}
	return c
}

// region returns the region a secret is fetched from: the ARN's own, or the
// configured one. The SDK ignores the region inside an ARN, so secretenv
// must choose the client by it.
func (s *secretStore) region(v secretVersion) string {
	if v.Region != "" {
		return v.Region
	}
	return s.cfg.Region
}

// fetchAll gets the SecretString of every version, at most maxConcurrent at
// a time. A failure that retrying could fix but did not (the deadline,
// throttling, a network error) or that every fetch would share (credentials)
// cancels the others and is returned. A failure of one secret alone (not
// found, access denied, binary-only, ...) lets the others finish, so that
// the error names every such secret, in the order given, the same on every
// run: a *fetchError for one, a *fetchErrors for several.
//
// The fetches run on at most maxConcurrent workers, each taking the next
// version in turn, rather than on a goroutine per version: a goroutine
// starts with an 8 KiB stack, which the SDK's deep middleware chain grows
// several times by copying it (runtime.newstack was 15% of the client's CPU
// per request in a CPU profile of fetchAll against bench/responder). With
// the garbage collector off (tuneGC) a grown stack is never shrunk, so a
// worker pays for the growth once for all the versions it fetches.
func (s *secretStore) fetchAll(ctx context.Context, versions []secretVersion) (map[secretVersion]string, error) {
	for _, v := range versions {
		if s.region(v) == "" {
			return nil, fmt.Errorf("%s: no AWS region configured; set AWS_REGION or pass --region (or give the secret as a full ARN)", v)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		out  = make(map[secretVersion]string, len(versions))
		errs = make([]*fetchError, len(versions)) // each fetch's own failure
		wg   sync.WaitGroup
		next atomic.Int64 // the index of the next version to fetch
	)
	worker := func() {
		for {
			i := int(next.Add(1) - 1)
			// At the deadline the fetch still runs, and fails at once, so
			// that the error names a secret and --timeout.
			if i >= len(versions) || cancelled(ctx) {
				return
			}
			v := versions[i]
			text, err := s.fetch(ctx, v)
			mu.Lock()
			switch {
			case err == nil:
				out[v] = text
			case cancelled(ctx):
				// Cancelled by another fetch's failure or by a signal: not
				// this fetch's own error.
			default:
				errs[i] = &fetchError{v, err}
				if !errors.As(err, new(*permanentError)) {
					cancel(errs[i])
				}
			}
			mu.Unlock()
		}
	}
	for range min(maxConcurrent, len(versions)) {
		wg.Go(worker)
	}
	wg.Wait()
	var failed fetchErrors
	for _, fe := range errs {
		if fe != nil {
			failed = append(failed, fe)
		}
	}
	cause := context.Cause(ctx)
	switch {
	case cause != nil && !errors.Is(cause, context.DeadlineExceeded) && !errors.As(cause, new(*fetchError)):
		return nil, cause // a signal
	case len(failed) == 0:
		return out, nil
	case len(failed) == 1 || cause != nil:
		// Stopped early: the first failure in the order the secrets were
		// given, so that the message does not depend on timing when
		// several end at the deadline.
		return nil, failed[0]
	}
	return nil, failed
}

// cancelled reports whether ctx was cancelled by a signal or by another
// fetch's failure, rather than by the deadline.
func cancelled(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded)
}

// fetchError is fetchAll's error: it says which version failed, so that the
// caller can name the variables that referenced it.
type fetchError struct {
	Version secretVersion
	err     error
}

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// fetchErrors is fetchAll's error when several secrets failed on their own:
// one line with their count, the first few names and the first error.
// refs, when set (nameReferences), adds the variables that reference each.
type fetchErrors []*fetchError

// maxNamed is how many failed secrets one line names before "and N more":
// fifty ids would not fit a terminal line or a log viewer.
const maxNamed = 5

func (e fetchErrors) Error() string { return e.describe(nil) }

func (e fetchErrors) describe(refs []reference) string {
	names := make([]string, 0, maxNamed)
	for _, fe := range e[:min(len(e), maxNamed)] {
		name := fe.Version.String()
		if vars := referencing(fe.Version, refs); vars != "" {
			name += " (" + vars + ")"
		}
		names = append(names, name)
	}
	list := strings.Join(names, ", ")
	if len(e) > maxNamed {
		list += fmt.Sprintf(" and %d more", len(e)-maxNamed)
	}
	return fmt.Sprintf("%d secrets could not be loaded: %s; the first: %v", len(e), list, e[0])
}

func (e fetchErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, fe := range e {
		errs[i] = fe
	}
	return errs
}

// permanentError marks a failure that concerns one secret alone and that
// retrying cannot change, so that fetchAll lets the other fetches finish.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// fetch gets one secret version's SecretString.
func (s *secretStore) fetch(ctx context.Context, v secretVersion) (string, error) {
	region := s.region(v)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(v.ID)}
	if v.Stage != "" {
		in.VersionStage = aws.String(v.Stage)
	}
	if v.VersionID != "" {
		in.VersionId = aws.String(v.VersionID)
	}
	start := time.Now()
	var tr requestTrace
	out, err := s.client(region).GetSecretValue(ctx, in, func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, traceAttempts(&tr))
	})
	outcome := "ok"
	switch {
	case err == nil:
	case cancelled(ctx):
		outcome = "cancelled"
	default:
		outcome = "failed"
	}
	s.log.Debug("fetched secret", "secret", v.String(), "region", region, "endpoint", tr.endpoint, "duration", time.Since(start).Round(time.Millisecond), "attempts", tr.attempts, "outcome", outcome)
	if err != nil {
		if cancelled(ctx) {
			return "", context.Cause(ctx) // by a signal or by another secret's failure
		}
		if late(ctx) && tr.lastErr != nil {
			// When the deadline ends a backoff sleep, the SDK returns only
			// "canceled": the last attempt's error says why it was retrying.
			err = errors.Join(err, tr.lastErr)
		}
		return "", describeFetchError(ctx, v, region, s.timeout, tr, err)
	}
	if out.SecretString == nil {
		return "", &permanentError{fmt.Errorf("%s: the secret has only SecretBinary; secretenv reads SecretString (store the value as text)", v)}
	}
	return *out.SecretString, nil
}

// describeFetchError turns an SDK error into one line naming the secret, the
// AWS error code and what to do. It never uses the SDK's own message, which
// can quote a response body. tr says whether a request was sent, and where.
func describeFetchError(ctx context.Context, v secretVersion, region string, timeout time.Duration, tr requestTrace, err error) error {
	var code string
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	// Credentials first: a credential source that never answers also ends
	// at the deadline, and Secrets Manager was then never asked.
	if msg, ok := describeCredentialError(err, late(ctx), timeout); ok {
		return fmt.Errorf("%s: %s", v, msg)
	}
	if late(ctx) {
		why := ""
		switch ne := netError(err); {
		case code != "":
			why = "; the last answer was " + code
		case ne != "":
			why = "; the last error was " + ne
		case tr.attempts == 0:
			// Nothing was sent: the deadline passed before the first
			// attempt (SECRETENV_TIMEOUT=1ms), not on the network.
			return fmt.Errorf("%s: the %s deadline passed before the request was sent; raise --timeout", v, timeout)
		}
		return fmt.Errorf("%s: no answer within the %s deadline%s; check network access to Secrets Manager or raise --timeout", v, timeout, why)
	}
	if code != "" {
		what, permanent := describeAPIError(code, "secretsmanager:GetSecretValue", region, v.Stage != "" || v.VersionID != "")
		err := fmt.Errorf("%s: %s", v, what)
		if permanent {
			return &permanentError{err}
		}
		return err
	}
	var unsent *unsentError
	if errors.As(err, &unsent) {
		return fmt.Errorf("%s: %s", v, unsent.describe("Secrets Manager", region, tr.endpoint))
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return fmt.Errorf("%s: Secrets Manager sent a response that is not valid for GetSecretValue; check AWS_ENDPOINT_URL_SECRETS_MANAGER or any proxy in between", v)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 { // 0: the SDK wraps send errors too
		return fmt.Errorf("%s: Secrets Manager answered HTTP %d", v, re.HTTPStatusCode())
	}
	if ne := netError(err); ne != "" {
		return fmt.Errorf("%s: cannot reach Secrets Manager: %s", v, ne)
	}
	return fmt.Errorf("%s: the request to Secrets Manager failed without an answer; run with --verbose to see the endpoint and attempts", v)
}

// describeAPIError explains an AWS error code in words, for any Secrets
// Manager call: what happened and what to do, without the subject. action
// is the IAM action the call needs (secretsmanager:GetSecretValue), region
// where it was made, versioned whether it named a version or stage.
// permanent says that the failure concerns this secret alone and that no
// retry can change it.
func describeAPIError(code, action, region string, versioned bool) (text string, permanent bool) {
	switch code {
	case "ResourceNotFoundException":
		what := "secret not found"
		if versioned {
			what = "secret or version not found"
		}
		return fmt.Sprintf("%s in region %s (%s); check the name and the region (--region, AWS_REGION)", what, region, code), true
	case "AccessDeniedException":
		return fmt.Sprintf("access denied (%s); the role needs %s on this secret and kms:Decrypt on its KMS key", code, action), true
	case "DecryptionFailure":
		return fmt.Sprintf("cannot decrypt the secret (%s); the role needs kms:Decrypt on the secret's KMS key", code), true
	case "InvalidRequestException":
		return fmt.Sprintf("request refused (%s); the secret may be scheduled for deletion", code), true
	case "InvalidParameterException":
		return fmt.Sprintf("invalid secret id or version (%s)", code), true
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature":
		return fmt.Sprintf("AWS rejected the credentials (%s); check AWS_PROFILE, the access key or the role", code), false
	case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
		return fmt.Sprintf("the AWS credentials have expired (%s); refresh them (aws sso login, a new session token) or use a role", code), false
	}
	return fmt.Sprintf("Secrets Manager refused the request (%s)", code), false
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
		return fmt.Sprintf(noCredentials, fmt.Sprintf(" within the %s deadline", timeout)) + "; or raise --timeout", true
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

// describeConfigError shortens errors from loading the shared config files.
func describeConfigError(err error) error {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return fmt.Errorf("AWS profile %q does not exist in the shared config files; check AWS_PROFILE", missing.Profile)
	}
	var load config.SharedConfigLoadError
	if errors.As(err, &load) {
		// Not the parser's message: it can quote a line of the credentials file.
		return fmt.Errorf("cannot read the AWS shared config file %s; check its syntax", load.Filename)
	}
	return fmt.Errorf("cannot load AWS configuration (%T); check the AWS_* settings", errors.Unwrap(err))
}

// requestTrace is what --verbose reports about one call, and the error of
// its last attempt that ended before the deadline.
type requestTrace struct {
	attempts int    // HTTP attempts, retries included
	endpoint string // scheme://host the last attempt went to
	lastErr  error  // the last attempt's error, unless the deadline ended it
}

// traceAttempts adds a middleware that fills tr for one call. It sits at the
// end of the finalize step, after the retry loop, endpoint resolution and
// signing, so it sees every attempt and its final URL (never a body).
func traceAttempts(tr *requestTrace) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("secretenvTraceAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				tr.attempts++
				if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
					tr.endpoint = req.URL.Scheme + "://" + req.URL.Host
				}
				out, md, err := next.HandleFinalize(ctx, in)
				if err != nil && ctx.Err() == nil {
					tr.lastErr = err
				}
				return out, md, err
			}), middleware.After)
	}
}

// unsentError is a failure that arose before the request left the
// process: in endpoint resolution (a region or endpoint the SDK refuses,
// FIPS with a custom endpoint) or in net/http before it asked for a
// connection (a scheme it cannot speak, no host, a bad proxy setting). The
// same settings fail the same way, so it is never retried, and the SDK's
// text, which quotes the settings, is not shown either.
type unsentError struct {
	built bool // the request was built: the endpoint was resolved and signed
	err   error
}

func (e *unsentError) Error() string { return e.err.Error() }
func (e *unsentError) Unwrap() error { return e.err }

// describe says what failed for a request to service in region, endpoint
// being scheme://host when the request was built.
func (e *unsentError) describe(service, region, endpoint string) string {
	if !e.built {
		return fmt.Sprintf("cannot resolve the %s endpoint for region %s; check the region, AWS_ENDPOINT_URL, AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT (a custom endpoint takes neither)", service, region)
	}
	// net/http names the header, never its value: "net/http: invalid
	// header field value for \"Authorization\"".
	_, rest, ok := strings.Cut(e.err.Error(), `invalid header field value for "`)
	if header, _, _ := strings.Cut(rest, `"`); ok && header != "" {
		what := "an AWS_* setting it comes from"
		switch header {
		case "Authorization", "X-Amz-Security-Token":
			what = "the AWS credentials (AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN or the profile's)"
		}
		return fmt.Sprintf("the request to %s could not be sent: its %s header holds a character HTTP does not allow (a line break?); check %s", service, header, what)
	}
	if endpoint != "" {
		service += " (" + endpoint + ")"
	}
	return fmt.Sprintf("the request to %s could not be sent; check the endpoint URL and the HTTP_PROXY/HTTPS_PROXY settings", service)
}

// attemptState is what markUnsent learns about one attempt.
type attemptState struct {
	resolving  bool // credentials are in hand; the endpoint is being resolved
	built      bool // resolved and signed: the request goes to net/http
	connecting bool // net/http asked for a connection
}

type attemptKey struct{}

// markUnsent is an APIOptions entry that wraps each attempt's error in an
// *unsentError when it arose after credentials were obtained (their own
// failures keep their retries and descriptions) but before net/http asked
// for a connection. It works for any client of the SDK's stack.
func markUnsent(st *middleware.Stack) error {
	state := func(ctx context.Context) *attemptState {
		a, _ := ctx.Value(attemptKey{}).(*attemptState)
		return a
	}
	attempt := middleware.FinalizeMiddlewareFunc("secretenvMarkUnsent",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			a := &attemptState{}
			out, md, err := next.HandleFinalize(context.WithValue(ctx, attemptKey{}, a), in)
			if err != nil && a.resolving && !a.connecting && ctx.Err() == nil {
				err = &unsentError{built: a.built, err: err}
			}
			return out, md, err
		})
	resolving := middleware.FinalizeMiddlewareFunc("secretenvResolving",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if a := state(ctx); a != nil {
				a.resolving = true
			}
			return next.HandleFinalize(ctx, in)
		})
	built := middleware.FinalizeMiddlewareFunc("secretenvBuilt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if a := state(ctx); a != nil {
				a.built = true
				ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GetConn: func(string) { a.connecting = true }})
			}
			return next.HandleFinalize(ctx, in)
		})
	// Each attempt runs the steps after Retry: ..., GetIdentity,
	// ResolveEndpointV2, ..., Signing, then the transport.
	if err := st.Finalize.Insert(attempt, "Retry", middleware.After); err != nil {
		return err
	}
	if err := st.Finalize.Insert(resolving, "ResolveEndpointV2", middleware.Before); err != nil {
		return err
	}
	return st.Finalize.Add(built, middleware.After)
}

// credentialLogger wraps the SDK's credential provider to log, with
// --verbose, which provider of the chain answered (its Source names it:
// EnvConfigCredentials, SharedConfigCredentials, CredentialsEndpointProvider
// for ECS and Pod Identity, WebIdentityCredentials for IRSA, ...). It only
// watches the retrievals the SDK makes anyway, so --verbose adds no request
// and no wait, and it never logs the keys. Failures are left to the fetch
// error, which describes them.
type credentialLogger struct {
	aws.CredentialsProvider
	log  *slog.Logger
	once sync.Once
}

func (c *credentialLogger) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := c.CredentialsProvider.Retrieve(ctx)
	if err == nil {
		c.once.Do(func() { c.log.Debug("credentials", "source", creds.Source) })
	}
	return creds, err
}
