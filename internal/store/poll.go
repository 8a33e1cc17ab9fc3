package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// This file is the AWS side of --watch: DescribeSecret tells which version
// carries each stage, without a secret value.

// StageVersions asks DescribeSecret which version id carries each of
// stages of the secret v names (v's stage and version are not used),
// "" for a stage no version carries (load then reports it). It returns no
// secret value; a failure is one line, as a fetch's is.
func (s *SecretStore) StageVersions(ctx context.Context, v SecretVersion, stages []string) (map[string]string, error) {
	region := s.Region(v)
	if region == "" {
		return nil, fmt.Errorf("%s: no AWS region configured; set AWS_REGION or pass --region (or give the secret as a full ARN)", v)
	}
	start := time.Now()
	var tr requestTrace
	out, err := s.client(region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(v.ID)}, func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, traceAttempts(&tr))
	})
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		s.log.Debug("polled secret", "secret", v.ID, "region", region, "endpoint", tr.endpoint, "duration", took, "attempts", tr.attempts, "outcome", "failed")
		return nil, withIdentity(ctx, s.who, s.cfg, err, describePollError(ctx, v, region, s.timeout, tr, withLastError(ctx, err, tr)))
	}
	versions := make(map[string]string, len(stages))
	for _, stage := range stages {
		id := versionOfStage(out.VersionIdsToStages, stage)
		versions[stage] = id
		s.log.Debug("polled secret", "secret", v.ID, "region", region, "stage", stage, "version", id, "duration", took, "attempts", tr.attempts, "outcome", "ok")
	}
	return versions, nil
}

// describePollError is describeFetchError for DescribeSecret, whose denial
// needs its own permission named.
func describePollError(ctx context.Context, v SecretVersion, region string, timeout time.Duration, tr requestTrace, err error) error {
	r := getSecretValueRequest(v, region, timeout, &tr)
	r.op = "DescribeSecret"
	r.kmsDenied = "" // DescribeSecret decrypts nothing
	secretCodes := r.codes
	r.codes = func(code string) string {
		if code == "AccessDeniedException" {
			return "access denied (AccessDeniedException); --watch needs secretsmanager:DescribeSecret on this secret"
		}
		return secretCodes(code)
	}
	return r.describe(ctx, err)
}

// versionOfStage returns the version id that carries stage, or "" if none
// does (load then reports the missing stage).
func versionOfStage(versions map[string][]string, stage string) string {
	for id, stages := range versions {
		if slices.Contains(stages, stage) {
			return id
		}
	}
	return ""
}
