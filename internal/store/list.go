package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// This file lists secrets for the list command. It never asks for a value:
// ListSecrets returns none.

// listPageSize is ListSecrets' MaxResults: 100 is the most the API returns
// in one page, so the fewest round trips under the deadline.
const listPageSize = 100

// ListedSecret is one secret ListSecrets returned, without a value: one
// line of list, and one object of list --json.
type ListedSecret struct {
	Name        string     `json:"name"`
	ARN         string     `json:"arn"`
	Description string     `json:"description"` // "" when it has none: every object has the same keys
	LastChanged *time.Time `json:"lastChanged,omitempty"`
}

// List returns the secrets of the configured region whose names start
// with prefix ("" for all), sorted by name: every page of ListSecrets, under
// ctx's deadline. A failure is one line naming the region, the AWS error
// code and what to do.
func (s *SecretStore) List(ctx context.Context, prefix string) ([]ListedSecret, error) {
	region := s.cfg.Region
	if region == "" {
		return nil, errors.New("list: no AWS region configured; set AWS_REGION or pass --region")
	}
	start := time.Now()
	secrets, err := listSecrets(ctx, s.client(region), prefix)
	s.log.Debug("listed secrets", "region", region, "prefix", prefix, "count", len(secrets), "duration", time.Since(start).Round(time.Millisecond), "ok", err == nil)
	if err != nil {
		return nil, withIdentity(ctx, s.who, s.cfg, err, describeListError(ctx, region, s.timeout, err))
	}
	return secrets, nil
}

// ConfiguredRegion is the region of --region, AWS_REGION, AWS_DEFAULT_REGION
// or the profile: where names (not ARNs) are looked up. "" when none is.
func (s *SecretStore) ConfiguredRegion() string { return s.cfg.Region }

// listSecrets reads every page of ListSecrets with a name-prefix filter and
// returns the secrets sorted by name. The deadline on ctx bounds the pages
// as it bounds a fetch.
func listSecrets(ctx context.Context, client *secretsmanager.Client, prefix string) ([]ListedSecret, error) {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(listPageSize)}
	if prefix != "" {
		in.Filters = []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{prefix}}}
	}
	var out []ListedSecret
	pages := secretsmanager.NewListSecretsPaginator(client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.SecretList {
			s := ListedSecret{Name: aws.ToString(e.Name), ARN: aws.ToString(e.ARN), Description: aws.ToString(e.Description), LastChanged: e.LastChangedDate}
			if s.LastChanged == nil {
				s.LastChanged = e.CreatedDate // a secret never changed since it was created
			}
			if s.LastChanged != nil {
				t := s.LastChanged.UTC()
				s.LastChanged = &t
			}
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b ListedSecret) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// describeListError turns a ListSecrets failure into one line naming the
// region, the AWS error code and what to do (awsRequest.describe).
func describeListError(ctx context.Context, region string, timeout time.Duration, err error) error {
	return awsRequest{
		subject:     "ListSecrets in " + region,
		service:     "Secrets Manager",
		endpointVar: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
		op:          "ListSecrets",
		region:      region,
		timeout:     timeout,
		codes: func(code string) string {
			if code == "AccessDeniedException" {
				return fmt.Sprintf("access denied (%s); listing needs secretsmanager:ListSecrets on resource *", code)
			}
			return ""
		},
		unanswered: "the request to Secrets Manager failed without an answer",
	}.describe(ctx, err)
}
