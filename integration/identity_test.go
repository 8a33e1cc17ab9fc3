package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// motoCaller is the ARN moto's STS gives the tests' static credentials.
const motoCaller = "arn:aws:sts::123456789012:user/moto"

// deniedWith answers every request with AccessDeniedException and message.
func deniedWith(message string) func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
	return func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"__type": "AccessDeniedException", "message": message})
	}
}

// TestAccessDeniedNamesPermissionAndCaller checks that a denial names the
// permission that is missing and, from STS (moto), whose credentials were
// used; and that a failing STS leaves the identity out rather than fail
// differently.
func TestAccessDeniedNamesPermissionAndCaller(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		message string
		extra   []string
		args    []string
		want    []string
		notWant []string
	}{
		{"GetSecretValue", "User is not authorized", nil, []string{"--", "true"},
			[]string{"secretenv: app: access denied (AccessDeniedException); the role needs secretsmanager:GetSecretValue on this secret", "; the caller is " + motoCaller}, nil},
		{"KMS", "Access to KMS is not allowed", nil, []string{"--", "true"},
			[]string{"secretenv: app: access denied by KMS (AccessDeniedException); the role needs kms:Decrypt on its KMS key; the caller is " + motoCaller}, []string{"GetSecretValue"}},
		{"put", "denied", nil, []string{"put", "app", "--from", "-", "--format", "json", "--yes"},
			[]string{"secretsmanager:GetSecretValue", "the caller is " + motoCaller}, nil},
		{"--watch", "denied", nil, []string{"--watch", "--", "true"},
			[]string{"--watch needs secretsmanager:DescribeSecret on this secret; the caller is " + motoCaller}, nil},
		{"put's write", "denied", []string{"FAKE_READS=ok"}, []string{"put", "app", "--from", "-", "--format", "json", "--yes"},
			[]string{"access denied to PutSecretValue (AccessDeniedException); the role needs secretsmanager:PutSecretValue", "the caller is " + motoCaller}, nil},
		{"STS unreachable", "denied", []string{"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"}, []string{"--", "true"},
			[]string{"secretsmanager:GetSecretValue"}, []string{"caller", "STS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			denied := deniedWith(tc.message)
			readsOK := len(tc.extra) > 0 && tc.extra[0] == "FAKE_READS=ok" // the fake's setting, not secretenv's
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, n int64) {
				if readsOK && req.Op == "GetSecretValue" {
					writeSecret(w, "app", `{"A":"old"}`)
					return
				}
				denied(w, req, n)
			})
			res := runSecretenv(t, fake.env(t, append([]string{"SECRET_ID=app"}, tc.extra...)...), `{"A":"x"}`, tc.args...)
			if res.Code != 125 {
				t.Errorf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
			}
			checkOneLine(t, res.Stderr)
			for _, w := range tc.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr %q lacks %q", res.Stderr, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(res.Stderr, w) {
					t.Errorf("stderr %q holds %q", res.Stderr, w)
				}
			}
		})
	}
}

// TestCheckVerboseNamesCaller checks that check --verbose logs the caller's
// ARN, and that a start without a denial never asks STS (start-up stays one
// request): with STS unreachable, check still passes.
func TestCheckVerboseNamesCaller(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"x"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	res := runSecretenv(t, env, "", "--verbose", "check")
	if res.Code != 0 || !strings.Contains(res.Stderr, motoCaller) {
		t.Errorf("check --verbose: exit %d, stderr %q; want 0 and %s", res.Code, res.Stderr, motoCaller)
	}
	res = runSecretenv(t, withEnv(env, "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"), "", "check")
	if res.Code != 0 || strings.Contains(res.Stderr, "caller") {
		t.Errorf("check without --verbose, STS unreachable: exit %d, stderr %q; want 0 and no identity", res.Code, res.Stderr)
	}
}
