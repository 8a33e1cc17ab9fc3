package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// An access denial names the permission, but a person also needs to know
// whose: a laptop's profile, a task role, an assumed role. STS
// GetCallerIdentity answers that, needs no permission, and is asked only
// after a denial, so a start that succeeds stays one request; it is bounded
// by what is left of the deadline. If it fails, the denial is reported
// without an identity rather than with a guess.

// identityAttempts bounds the STS request: the retryer of the stores retries
// until the deadline, which would spend all of it on a line's last words.
const identityAttempts = 2

// identityCache asks STS once per process, however many requests were
// denied; the stores built from one configuration share it.
type identityCache struct {
	once sync.Once
	arn  string
	err  error
}

// get returns the caller's ARN, asking STS the first time.
func (c *identityCache) get(ctx context.Context, cfg aws.Config) (string, error) {
	c.once.Do(func() {
		client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = identityAttempts })
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		switch {
		case err != nil:
			// Not the SDK's message, which can quote a body.
			c.err = fmt.Errorf("STS GetCallerIdentity failed (%s)", errorKind(err))
		case out.Arn == nil || !strings.HasPrefix(*out.Arn, "arn:") || checkIDText(*out.Arn) != nil:
			// An answer that is no ARN is not echoed: it is not ours to
			// trust, and may hold a control character.
			c.err = errors.New("STS GetCallerIdentity gave no ARN")
		default:
			c.arn = *out.Arn
		}
	})
	return c.arn, c.err
}

// errorKind names an STS failure by its code, or its Go type.
func errorKind(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return fmt.Sprintf("%T", errors.Unwrap(err))
}

// CallerIdentity returns the ARN of the identity the credentials belong to
// (STS GetCallerIdentity), for check --verbose.
func (s *SecretStore) CallerIdentity(ctx context.Context) (string, error) {
	return s.who.get(ctx, s.cfg)
}

// withIdentity adds the caller's ARN to described, the description of
// cause, when cause is an access denial; otherwise, or when STS does not
// answer, it returns described as it is.
func withIdentity(ctx context.Context, who *identityCache, cfg aws.Config, cause, described error) error {
	if apiCode(cause) != "AccessDeniedException" || late(ctx) {
		return described
	}
	arn, err := who.get(ctx, cfg)
	if err != nil {
		return described
	}
	return fmt.Errorf("%w; the caller is %s", described, arn)
}

// deniedByKMS reports whether an access denial came from KMS rather than
// from the service's own policy: Secrets Manager's message then says so
// ("Access to KMS is not allowed"; Parameter Store's names kms:Decrypt).
// The message is only searched, never shown.
func deniedByKMS(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException" && strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "kms")
}
