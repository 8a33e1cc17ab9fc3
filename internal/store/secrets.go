package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
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

// SecretStore fetches secrets with one AWS configuration: one credential
// chain and one HTTP client, and a Secrets Manager client per region.
type SecretStore struct {
	cfg     aws.Config
	log     *slog.Logger
	timeout time.Duration // the overall deadline, for messages

	mu      sync.Mutex
	clients map[string]*secretsmanager.Client
}

// newSecretStore loads the SDK's own configuration (credential chain,
// profiles, endpoint and CA bundle settings). region, when not empty,
// replaces the configured default region.
func newSecretStore(ctx context.Context, region string, timeout time.Duration, log *slog.Logger) (*SecretStore, error) {
	metadata := &boundedIMDS{}
	opts := []func(*config.LoadOptions) error{
		config.WithEC2RoleCredentialOptions(func(o *ec2rolecreds.Options) { o.Client = metadata }),
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
	// Before the HTTP client is wrapped: the IMDS client sets its short dial
	// and answer timeouts only on the SDK's own client type.
	metadata.cfg = cfg
	cfg.HTTPClient = newHTTPClient(cfg.HTTPClient)
	if cfg.Credentials != nil && log.Enabled(ctx, slog.LevelDebug) {
		cfg.Credentials = &credentialLogger{CredentialsProvider: cfg.Credentials, log: log}
	}
	return &SecretStore{cfg: cfg, log: log, timeout: timeout, clients: make(map[string]*secretsmanager.Client)}, nil
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
func (s *SecretStore) client(region string) *secretsmanager.Client {
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
func (s *SecretStore) Region(v SecretVersion) string {
	if v.Region != "" {
		return v.Region
	}
	return s.cfg.Region
}

// FetchAll gets the SecretString of every version, at most maxConcurrent at
// a time. A failure that retrying could fix but did not (the deadline,
// throttling, a network error) or that every fetch would share (credentials)
// cancels the others and is returned. A failure of one secret alone (not
// found, access denied, binary-only, ...) lets the others finish, so that
// the error names every such secret, in the order given, the same on every
// run: a *FetchError for one, a *FetchErrors for several.
//
// The fetches run on at most maxConcurrent workers, each taking the next
// version in turn, rather than on a goroutine per version: a goroutine
// starts with an 8 KiB stack, which the SDK's deep middleware chain grows
// several times by copying it (runtime.newstack was 15% of the client's CPU
// per request in a CPU profile of FetchAll against bench/responder). With
// the garbage collector off (tuneGC) a grown stack is never shrunk, so a
// worker pays for the growth once for all the versions it fetches.
func (s *SecretStore) FetchAll(ctx context.Context, versions []SecretVersion) (map[SecretVersion]string, error) {
	for _, v := range versions {
		if s.Region(v) == "" {
			return nil, fmt.Errorf("%s: no AWS region configured; set AWS_REGION or pass --region (or give the secret as a full ARN)", v)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		out  = make(map[SecretVersion]string, len(versions))
		errs = make([]*FetchError, len(versions)) // each fetch's own failure
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
				errs[i] = &FetchError{v, err}
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
	var failed FetchErrors
	for _, fe := range errs {
		if fe != nil {
			failed = append(failed, fe)
		}
	}
	cause := context.Cause(ctx)
	switch {
	case cause != nil && !errors.Is(cause, context.DeadlineExceeded) && !errors.As(cause, new(*FetchError)):
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

// FetchError is FetchAll's error: it says which version failed, so that the
// caller can name the variables that referenced it.
type FetchError struct {
	Version SecretVersion
	Err     error // the description of the failure, one line
}

func (e *FetchError) Error() string { return e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

// FetchErrors is FetchAll's error when several secrets failed on their own:
// one line with their count, the first few names and the first error.
// Describe adds the variables that reference each (the root's nameReferences).
type FetchErrors []*FetchError

// maxNamed is how many failed secrets one line names before "and N more":
// fifty ids would not fit a terminal line or a log viewer.
const maxNamed = 5

func (e FetchErrors) Error() string { return e.Describe(nil) }

// Describe is Error with, after each secret, the variables that
// referencing names for it ("" or nil for none), so the user knows which
// setting to fix.
func (e FetchErrors) Describe(referencing func(SecretVersion) string) string {
	names := make([]string, 0, maxNamed)
	for _, fe := range e[:min(len(e), maxNamed)] {
		name := fe.Version.String()
		if referencing != nil {
			if vars := referencing(fe.Version); vars != "" {
				name += " (" + vars + ")"
			}
		}
		names = append(names, name)
	}
	list := strings.Join(names, ", ")
	if len(e) > maxNamed {
		list += fmt.Sprintf(" and %d more", len(e)-maxNamed)
	}
	return fmt.Sprintf("%d secrets could not be loaded: %s; the first: %v", len(e), list, e[0])
}

func (e FetchErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, fe := range e {
		errs[i] = fe
	}
	return errs
}

// permanentError marks a failure that concerns one secret alone and that
// retrying cannot change, so that FetchAll lets the other fetches finish.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// fetch gets one secret version's SecretString.
func (s *SecretStore) fetch(ctx context.Context, v SecretVersion) (string, error) {
	region := s.Region(v)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(v.ID)}
	if v.Stage != "" {
		in.VersionStage = aws.String(v.Stage)
	}
	if v.Stage == "" && v.VersionID == "" {
		// AWSCURRENT is what Secrets Manager returns for no stage; naming it
		// makes emulators that resolve "no stage" differently (moto keeps the
		// last version PutSecretValue made current, not the one
		// UpdateSecretVersionStage moved the label to) agree with AWS, so the
		// entrypoint reads what edit and put's compare-and-swap made current.
		in.VersionStage = aws.String("AWSCURRENT")
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
		return "", describeFetchError(ctx, v, region, s.timeout, tr, withLastError(ctx, err, tr))
	}
	if out.SecretString == nil && out.SecretBinary == nil {
		// Not binary either: an answer without a value (a version
		// without one, or a proxy that dropped it) must not send anyone
		// to look for a SecretBinary that is not there.
		return "", &permanentError{fmt.Errorf("%s: the answer holds no value (neither SecretString nor SecretBinary); check the version with aws secretsmanager get-secret-value, or store a JSON object with secretenv put", v)}
	}
	if out.SecretString == nil {
		return "", &permanentError{fmt.Errorf("%s: the secret has only SecretBinary; secretenv reads SecretString (store the value as text)", v)}
	}
	return *out.SecretString, nil
}

// describeFetchError describes a failed GetSecretValue of v in one line
// (awsRequest.describe); tr says whether a request was sent, and where.
func describeFetchError(ctx context.Context, v SecretVersion, region string, timeout time.Duration, tr requestTrace, err error) error {
	return getSecretValueRequest(v, region, timeout, &tr).describe(ctx, err)
}

// getSecretValueRequest names a GetSecretValue of v for describing its
// failure. Its own codes concern this secret alone: FetchAll lets the other
// fetches finish.
func getSecretValueRequest(v SecretVersion, region string, timeout time.Duration, tr *requestTrace) awsRequest {
	versioned := v.Stage != "" || v.VersionID != ""
	return awsRequest{
		subject:     v.String(),
		service:     "Secrets Manager",
		endpointVar: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
		op:          "GetSecretValue",
		region:      region,
		timeout:     timeout,
		trace:       tr,
		codes: func(code string) string {
			return describeSecretCode(code, "secretsmanager:GetSecretValue", region, versioned)
		},
		permanent:  true,
		unanswered: "the request to Secrets Manager failed without an answer; run with --verbose to see the endpoint and attempts",
	}
}

// describeSecretCode explains the error codes of a Secrets Manager call
// that concern the secret itself, or returns "" for any other code. action
// is the IAM action the call needs (secretsmanager:GetSecretValue), region
// where it was made, versioned whether it named a version or stage.
func describeSecretCode(code, action, region string, versioned bool) string {
	switch code {
	case "ResourceNotFoundException":
		what := "secret not found"
		if versioned {
			what = "secret or version not found"
		}
		return fmt.Sprintf("%s in region %s (%s); check the name and the region (--region, AWS_REGION)", what, region, code)
	case "AccessDeniedException":
		return fmt.Sprintf("access denied (%s); the role needs %s on this secret and kms:Decrypt on its KMS key", code, action)
	case "DecryptionFailure":
		return fmt.Sprintf("cannot decrypt the secret (%s); the role needs kms:Decrypt on the secret's KMS key", code)
	case "InvalidRequestException":
		return fmt.Sprintf("request refused (%s); the secret may be scheduled for deletion", code)
	case "InvalidParameterException":
		return fmt.Sprintf("invalid secret id or version (%s)", code)
	}
	return ""
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
