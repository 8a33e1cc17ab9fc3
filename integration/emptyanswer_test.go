package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestEmptyAnswer: a GetSecretValue answer with neither SecretString nor
// SecretBinary (moto cannot send one) is a secret without a value, not a
// binary one: the message must not send anyone looking for a SecretBinary.
// The entrypoint and edit both fail closed on it.
func TestEmptyAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"entrypoint", []string{"--", "sh", "-c", "echo STARTED"}, "app: the answer holds no value (neither SecretString nor SecretBinary)"},
		{"check", []string{"check"}, "app: the answer holds no value (neither SecretString nor SecretBinary)"},
		{"edit", []string{"edit", "app", "--yes"}, "app: the stored version holds no value (neither SecretString nor SecretBinary)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				json.NewEncoder(w).Encode(map[string]any{
					"ARN":           "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf",
					"Name":          "app",
					"VersionId":     "00000000-0000-0000-0000-000000000001",
					"VersionStages": []string{"AWSCURRENT"},
				})
			})
			env, tmp := editEnv(t, editorScript(t, "exit 0"))
			env = withEnv(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+fake.URL, "SECRET_ID=app")
			res := runSecretenv(t, env, "", tc.args...)
			if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 125 and the command not run", res.Code, res.Stdout, res.Stderr)
			}
			checkOneLine(t, res.Stderr, tc.want)
			if strings.Contains(res.Stderr, "only SecretBinary") {
				t.Errorf("stderr %q speaks of a SecretBinary that is not there", res.Stderr)
			}
			checkEmpty(t, tmp)
		})
	}
}
