package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// getParametersMax is GetParameters' limit on names per call (10).
const getParametersMax = 10

// byPathPageSize is GetParametersByPath's largest page (MaxResults 1-10).
const byPathPageSize = 10

// ParameterStore fetches Parameter Store parameters with the SecretStore's
// AWS configuration: the same credential chain, HTTP client, retryer and
// deadline, and an SSM client per region.
type ParameterStore struct {
	cfg     aws.Config
	log     *slog.Logger
	timeout time.Duration

	mu      sync.Mutex
	clients map[string]*ssm.Client

	who *identityCache // shared with the SecretStore it was made from
}

func NewParameterStore(s *SecretStore) *ParameterStore {
	return &ParameterStore{cfg: s.cfg, log: s.log, timeout: s.timeout, clients: make(map[string]*ssm.Client), who: s.who}
}

// CheckSetup validates, before any request, the Parameter Store endpoint
// the SDK resolved (AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL or the shared
// config file), as SecretStore.checkSetup does for Secrets Manager's; the
// region was checked there.
func (p *ParameterStore) CheckSetup(environ []string) error {
	return checkEndpoint("SSM", p.client(p.cfg.Region).Options().BaseEndpoint, environ)
}

// client returns the SSM client for region, creating it once.
func (p *ParameterStore) client(region string) *ssm.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[region]
	if !ok {
		c = ssm.NewFromConfig(p.cfg, func(o *ssm.Options) { o.Region = region })
		p.clients[region] = c
	}
	return c
}

// ParameterValues is what FetchAll found: each referenced parameter's
// value by ARN, and each path's parameters (name -> value).
type ParameterValues struct {
	ByARN  map[string]string
	ByPath map[string]map[string]string
}

// parameterJob is one request, or one path's pages.
type parameterJob struct {
	region string
	refs   []ParameterRef // GetParameters: at most getParametersMax, one region
	path   string         // GetParametersByPath, in the configured region
}

// FetchAll fetches the referenced parameters with GetParameters, 10 names
// per call per region, and each path with GetParametersByPath, all calls at
// once on at most maxConcurrent workers. The first failure, in the order the
// jobs were planned, is returned; it cancels the others. Missing parameters
// are a definite answer, not a failure of the request: they cancel nothing,
// and all of them are reported together, in order.
func (p *ParameterStore) FetchAll(ctx context.Context, refs []ParameterRef, paths []string) (ParameterValues, error) {
	jobs, err := p.plan(refs, paths)
	if err != nil {
		return ParameterValues{}, err
	}
	account := ""
	if len(refs) > 0 {
		account = p.callerAccount(ctx)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		out  = ParameterValues{ByARN: make(map[string]string, len(refs)), ByPath: make(map[string]map[string]string, len(paths))}
		errs = make([]error, len(jobs))
		wg   sync.WaitGroup
		next atomic.Int64
	)
	worker := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(jobs) || ctx.Err() != nil {
				return
			}
			j := jobs[i]
			var vals map[string]string
			var err error
			if j.path != "" {
				vals, err = p.fetchPath(ctx, j.region, j.path)
			} else {
				vals, err = p.fetchRefs(ctx, j.region, j.refs, account)
			}
			mu.Lock()
			switch {
			case err == nil && j.path != "":
				out.ByPath[j.path] = vals
			case err == nil:
				for arn, v := range vals {
					out.ByARN[arn] = v
				}
			case errors.Is(err, errCancelled):
				// another job's failure or a signal ended this one
			case errors.As(err, new(*MissingParametersError)):
				errs[i] = err
			default:
				errs[i] = err
				cancel(err)
			}
			mu.Unlock()
		}
	}
	for range min(maxConcurrent, len(jobs)) {
		wg.Go(worker)
	}
	wg.Wait()
	missing := &MissingParametersError{}
	for _, err := range errs {
		var mp *MissingParametersError
		switch {
		case errors.As(err, &mp):
			missing.ARNs = append(missing.ARNs, mp.ARNs...)
			for _, r := range mp.Regions { // a region's 11th reference is in a second call
				if !slices.Contains(missing.Regions, r) {
					missing.Regions = append(missing.Regions, r)
				}
			}
		case err != nil:
			return ParameterValues{}, err
		}
	}
	if err := context.Cause(ctx); err != nil {
		return ParameterValues{}, err
	}
	if len(missing.ARNs) > 0 {
		return ParameterValues{}, missing
	}
	return out, nil
}

// errCancelled marks a job that stopped because the fetch was cancelled
// (another failure or a signal), not because of its own request.
var errCancelled = errors.New("cancelled")

// plan groups the references by region, in the order they were given, 10
// to a call, then adds one job per path.
func (p *ParameterStore) plan(refs []ParameterRef, paths []string) ([]parameterJob, error) {
	var jobs []parameterJob
	var regions []string
	byRegion := map[string][]ParameterRef{}
	for _, r := range refs {
		if _, ok := byRegion[r.Region]; !ok {
			regions = append(regions, r.Region)
		}
		byRegion[r.Region] = append(byRegion[r.Region], r)
	}
	for _, region := range regions {
		rs := byRegion[region]
		for len(rs) > 0 {
			n := min(getParametersMax, len(rs))
			jobs = append(jobs, parameterJob{region: region, refs: rs[:n]})
			rs = rs[n:]
		}
	}
	for _, path := range paths {
		if p.cfg.Region == "" {
			return nil, fmt.Errorf("ssm:%s: no AWS region configured; set AWS_REGION or pass --region", path)
		}
		jobs = append(jobs, parameterJob{region: p.cfg.Region, path: path})
	}
	return jobs, nil
}

// callerAccount returns the account of the credentials when the provider
// says it (SSO, assumed roles, web identity, container credentials that
// carry AccountId, AWS_ACCOUNT_ID with static keys), else "". It costs no
// request: the credentials are cached and the first call would fetch them
// anyway.
func (p *ParameterStore) callerAccount(ctx context.Context) string {
	if p.cfg.Credentials == nil {
		return ""
	}
	creds, err := p.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "" // the request will fail and describe it
	}
	return creds.AccountID
}

// requestName is what GetParameters is asked for. A parameter of the
// caller's own account is asked for by name (emulators such as moto accept
// only names). Any other, or any when the caller's account is unknown, is
// asked for by its full ARN, which AWS requires for a parameter shared from
// another account and accepts for one's own: a bare name there would read
// the caller's own parameter of that name instead.
func requestName(r ParameterRef, account string) string {
	if account != "" && r.Account == account {
		return r.Name
	}
	return r.ARN
}

// fetchRefs gets up to 10 parameters of one region in one GetParameters
// call, decrypted, and returns their values by ARN. Parameters AWS reports
// as invalid (missing, or a wrong region in the ARN) are an error naming
// each one.
func (p *ParameterStore) fetchRefs(ctx context.Context, region string, refs []ParameterRef, account string) (map[string]string, error) {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = requestName(r, account)
	}
	start := time.Now()
	var tr requestTrace
	out, err := p.client(region).GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)}, func(o *ssm.Options) {
		o.APIOptions = append(o.APIOptions, traceAttempts(&tr))
	})
	p.log.Debug("fetched parameters", "names", strings.Join(names, ","), "region", region, "endpoint", tr.endpoint, "duration", time.Since(start).Round(time.Millisecond), "attempts", tr.attempts, "ok", err == nil)
	subject := refs[0].ARN
	if len(refs) > 1 {
		subject += fmt.Sprintf(" (and %d more in the same GetParameters call)", len(refs)-1)
	}
	if err != nil {
		err = p.describeError(ctx, subject, region, &tr, err)
		arns := make([]string, len(refs))
		for i, r := range refs {
			arns[i] = r.ARN
		}
		return nil, &ParameterRequestError{ARNs: arns, Err: err}
	}
	vals := make(map[string]string, len(refs))
	for _, prm := range out.Parameters {
		for i, r := range refs {
			if names[i] == aws.ToString(prm.Name) || names[i] == aws.ToString(prm.ARN) || r.ARN == aws.ToString(prm.ARN) {
				vals[r.ARN] = aws.ToString(prm.Value)
			}
		}
	}
	var missing []string
	for _, r := range refs {
		if _, ok := vals[r.ARN]; !ok {
			missing = append(missing, r.ARN)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingParametersError{ARNs: missing, Regions: []string{region}}
	}
	return vals, nil
}

// ParameterRequestError is a GetParameters call that failed as a whole (a
// deadline, access denied, a garbled answer), with the ARNs it asked for, so
// that the caller (the root's nameReferences) can name the variables that reference them as it does
// for a Secrets Manager FetchError.
type ParameterRequestError struct {
	ARNs []string
	Err  error
}

func (e *ParameterRequestError) Error() string { return e.Err.Error() }
func (e *ParameterRequestError) Unwrap() error { return e.Err }

// MissingParametersError names the parameters GetParameters listed as
// InvalidParameters (or did not return), in the order they were given.
type MissingParametersError struct {
	ARNs    []string
	Regions []string // the regions asked, each once
}

func (e *MissingParametersError) Error() string {
	what := "parameter " + e.ARNs[0]
	if len(e.ARNs) > 1 {
		what = "parameters " + strings.Join(e.ARNs, ", ")
	}
	return fmt.Sprintf("%s: not found in region %s (GetParameters InvalidParameters); check the name and the region in the ARN (a parameter of another account must be shared with this one)", what, strings.Join(e.Regions, ", "))
}

// fetchPath gets every parameter directly under path, decrypted, all pages,
// and returns them by name.
func (p *ParameterStore) fetchPath(ctx context.Context, region, path string) (map[string]string, error) {
	in := &ssm.GetParametersByPathInput{
		Path:           aws.String(path),
		Recursive:      aws.Bool(false),
		WithDecryption: aws.Bool(true),
		MaxResults:     aws.Int32(byPathPageSize),
	}
	params := map[string]string{}
	subject := PathPrefix + path
	for page := 1; ; page++ {
		start := time.Now()
		var tr requestTrace
		out, err := p.client(region).GetParametersByPath(ctx, in, func(o *ssm.Options) {
			o.APIOptions = append(o.APIOptions, traceAttempts(&tr))
		})
		p.log.Debug("fetched parameters by path", "path", path, "page", page, "region", region, "endpoint", tr.endpoint, "duration", time.Since(start).Round(time.Millisecond), "attempts", tr.attempts, "ok", err == nil)
		if err != nil {
			return nil, p.describeError(ctx, subject, region, &tr, err)
		}
		for _, prm := range out.Parameters {
			params[aws.ToString(prm.Name)] = aws.ToString(prm.Value)
		}
		if aws.ToString(out.NextToken) == "" {
			return params, nil
		}
		in.NextToken = out.NextToken
	}
}

// describeError turns an SSM error into one line naming the subject (a
// parameter ARN or an ssm: path), the AWS error code and what to do. As for
// Secrets Manager, the SDK's own message is never used: it can quote a body.
func (p *ParameterStore) describeError(ctx context.Context, subject, region string, tr *requestTrace, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", errCancelled, cause)
	}
	err = withLastError(ctx, err, *tr)
	return withIdentity(ctx, p.who, p.cfg, err, awsRequest{
		subject:     subject,
		service:     "Parameter Store",
		reach:       "Parameter Store (SSM)",
		endpointVar: "AWS_ENDPOINT_URL_SSM",
		region:      region,
		timeout:     p.timeout,
		// No trace: the client has no markUnsent, and a deadline before
		// the first attempt reads as any other deadline here.
		codes: func(code string) string {
			switch code {
			case "AccessDeniedException":
				return fmt.Sprintf("access denied (%s); the role needs ssm:GetParameters (ssm:GetParametersByPath for a path) on the parameters, and kms:Decrypt on the key of a SecureString", code)
			case "ParameterNotFound", "ParameterVersionNotFound":
				return fmt.Sprintf("not found in region %s (%s); check the name and the region", region, code)
			case "InvalidKeyId":
				return fmt.Sprintf("cannot decrypt a SecureString (%s); check the parameter's KMS key and kms:Decrypt", code)
			case "ValidationException", "InvalidFilterKey", "InvalidFilterValue", "InvalidNextToken":
				return fmt.Sprintf("Parameter Store refused the request (%s); check the name or path", code)
			}
			return ""
		},
		kmsDenied:  "kms:Decrypt",
		unanswered: fmt.Sprintf("request failed (%T)", errors.Unwrap(err)),
	}.describe(ctx, err))
}
