package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// This file checks the AWS settings a request is built from — the endpoint
// URL and the region — before any request, so that a typo fails at once
// with the setting named, instead of as an SDK error that names neither (or
// as a retry loop against "://" until the deadline).

// endpointVars are the service-specific endpoint variables the SDK reads,
// by the service's SDK id (config.EnvConfig.GetServiceBaseEndpoint upper-cases
// the id and turns spaces into '_'). AWS_ENDPOINT_URL applies to every service.
var endpointVars = map[string]string{
	"Secrets Manager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
	"SSM":             "AWS_ENDPOINT_URL_SSM",
}

// checkEndpoint validates the base endpoint a client of service will use
// (its Options().BaseEndpoint, nil for AWS's own), which the SDK resolved
// from the environment or the shared config file (honouring
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS). The error names where it came from.
func checkEndpoint(service string, endpoint *string, environ []string) error {
	if endpoint == nil {
		return nil
	}
	what := endpointProblem(*endpoint)
	if what == "" {
		return nil
	}
	from, shown := "endpoint_url for "+service+" in the AWS shared config file", fmt.Sprintf(" (%q)", *endpoint)
	if name := endpointVars[service]; name != "" && getenv(environ, name) == *endpoint {
		from, shown = name, fmt.Sprintf("=%q", *endpoint)
	} else if getenv(environ, "AWS_ENDPOINT_URL") == *endpoint {
		from, shown = "AWS_ENDPOINT_URL", fmt.Sprintf("=%q", *endpoint)
	}
	if strings.Contains(*endpoint, "@") {
		shown = "" // user:password@ may be in it; the setting's name suffices
	}
	return fmt.Errorf("%s%s %s; write it as http://HOST:PORT or https://HOST", from, shown, what)
}

// endpointProblem says what is wrong with an endpoint URL, or "". The SDK
// only url.Parses it (secretsmanager's resolveResult), so "not a url" or
// "ftp://x" would reach net/http, which fails them as connection errors
// that the retryer repeats until the deadline.
func endpointProblem(s string) string {
	if !strings.Contains(s, "://") {
		return "has no scheme"
	}
	u, err := url.Parse(s)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		return fmt.Sprintf("is not a valid URL (%v)", ue.Err)
	case err != nil:
		return "is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("has scheme %q, not http or https", u.Scheme)
	case u.Hostname() == "":
		return "has no host"
	case u.Port() != "" && !smithyhttp.ValidPortNumber(u.Port()):
		// net/http would dial it and the retryer retry the dial error.
		return fmt.Sprintf("has port %s, beyond 65535", u.Port())
	}
	return ""
}

// validRegion applies the SDK's own rule, which it checks only when a
// request is built (secretsmanager's bindRegion calls smithy-go's
// rulesfn.IsValidHostLabel(region, true)): dot-separated labels of 1-63
// letters, digits and hyphens, none starting or ending with a hyphen.
func validRegion(region string) bool {
	for label := range strings.SplitSeq(region, ".") {
		if !smithyhttp.ValidHostLabel(label) || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}

// checkRegion refuses a region the SDK would refuse; from names the
// setting it came from.
func checkRegion(region, from string) error {
	if validRegion(region) {
		return nil
	}
	return fmt.Errorf("%s %q is not a valid AWS region; use a region code such as eu-west-1 (letters, digits and hyphens)", from, region)
}

// regionSource names the setting the configured region came from: --region
// wins over AWS_REGION, which wins over AWS_DEFAULT_REGION (the command line's applyEnv).
func regionSource(region string, environ []string) string {
	switch region {
	case getenv(environ, "AWS_REGION"):
		return "AWS_REGION"
	case getenv(environ, "AWS_DEFAULT_REGION"):
		if getenv(environ, "AWS_REGION") == "" {
			return "AWS_DEFAULT_REGION"
		}
	}
	return "--region"
}

// getenv returns the value of name in environ, reading the first entry as
// getenv(3) does.
func getenv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// checkSetup validates, before any request, the region (region is the one
// from --region, AWS_REGION or AWS_DEFAULT_REGION; "" leaves the profile's)
// and the Secrets Manager endpoint the SDK resolved from the environment and
// the shared config file. Every command that calls AWS runs it.
func (s *SecretStore) checkSetup(region string, environ []string) error {
	from := "the region of the AWS profile in the shared config file"
	if region != "" {
		from = regionSource(region, environ)
	}
	if s.cfg.Region != "" {
		if err := checkRegion(s.cfg.Region, from); err != nil {
			return err
		}
	}
	return checkEndpoint("Secrets Manager", s.client(s.cfg.Region).Options().BaseEndpoint, environ)
}

// Config is what a store is built from: the command line's settings that
// concern AWS, and the environment the settings' names are looked up in.
type Config struct {
	// Region is from --region, AWS_REGION or AWS_DEFAULT_REGION; "" leaves
	// the AWS profile's.
	Region string
	// Timeout is the overall deadline, named in messages; the caller's
	// context carries it.
	Timeout time.Duration
	// Environ is the process environment, to name the setting an endpoint
	// or a region came from.
	Environ []string
	// Log gets debug lines (names, never values).
	Log *slog.Logger
}

// NewChecked loads the SDK's own configuration (credential chain, profiles,
// endpoint and CA bundle settings) and checks the region and the Secrets
// Manager endpoint, as every command that calls AWS starts: a mistake in
// the settings fails before any request.
func NewChecked(ctx context.Context, c Config) (*SecretStore, error) {
	s, err := newSecretStore(ctx, c.Region, c.Timeout, c.Log)
	if err != nil {
		return nil, err
	}
	if err := s.checkSetup(c.Region, c.Environ); err != nil {
		return nil, err
	}
	return s, nil
}
