package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestList lists more secrets than one ListSecrets page holds (100) under a
// prefix of this test's own, so every page must be read, and proves the
// prefix filter, the order, --json, terminal-safe descriptions, and that no
// value is printed.
func TestList(t *testing.T) {
	t.Parallel()
	prefix := secretName(t, "")
	const n = 105
	client := smClient(t, "us-east-1")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			in := &secretsmanager.CreateSecretInput{
				Name:         aws.String(fmt.Sprintf("%ss%03d", prefix, i)),
				SecretString: aws.String(fmt.Sprintf(`{"VALUE":"v4lue-%03d"}`, i)),
			}
			if i == 7 {
				in.Description = aws.String("web app\x1b[31m, prod\u202e")
			}
			if _, err := client.CreateSecret(context.Background(), in); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("creating secrets: %v", err)
	}
	// Another test's name that shares the start of this prefix, and one
	// with this prefix in the middle: neither is listed.
	createSecret(t, "us-east-1", strings.TrimSuffix(prefix, "/")+"X/other", `{"A":"v4lue-other"}`)
	createSecret(t, "us-east-1", "other/"+prefix, `{"A":"v4lue-other"}`)
	env := baseEnv(t)

	t.Run("table", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "list", prefix)
		if res.Code != 0 || res.Stderr != "" {
			t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
		}
		lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
		if len(lines) != n+1 || !strings.HasPrefix(lines[0], "NAME ") || !strings.Contains(lines[0], "LAST CHANGED") {
			t.Fatalf("%d lines, want a header and %d secrets:\n%s", len(lines), n, res.Stdout)
		}
		today := time.Now().UTC().Format("2006-01-02")
		for i, line := range lines[1:] {
			if name := fmt.Sprintf("%ss%03d ", prefix, i); !strings.HasPrefix(line, name) || !strings.Contains(line, today) {
				t.Errorf("line %d = %q, want %q first and the date %s", i+1, line, name, today)
			}
		}
		if want := `web app\x1b[31m, prod\u202e`; !strings.HasSuffix(lines[8], want) {
			t.Errorf("description line %q, want it to end with %q", lines[8], want)
		}
		if strings.ContainsAny(res.Stdout, "\x1b\u202e") || strings.Contains(res.Stdout, "v4lue") {
			t.Errorf("output holds a control character or a value:\n%q", res.Stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "list", "--json", prefix)
		if res.Code != 0 || res.Stderr != "" {
			t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
		}
		var got []struct {
			Name, ARN, Description string
			LastChanged            time.Time
		}
		if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if len(got) != n || got[0].Name != prefix+"s000" || got[n-1].Name != fmt.Sprintf("%ss%03d", prefix, n-1) {
			t.Fatalf("%d secrets, first %+v", len(got), got[0])
		}
		if got[7].Description != "web app\x1b[31m, prod\u202e" || !strings.HasPrefix(got[0].ARN, "arn:aws:secretsmanager:us-east-1:") || time.Since(got[0].LastChanged) > time.Hour {
			t.Errorf("secret 7 = %+v, secret 0 = %+v", got[7], got[0])
		}
		if strings.Contains(res.Stdout, "v4lue") {
			t.Error("list --json printed a value")
		}
		// Every object has the same four keys, description "" when there is none.
		var objs []map[string]any
		json.Unmarshal([]byte(res.Stdout), &objs)
		for _, o := range objs {
			if _, ok := o["description"]; !ok || len(o) != 4 {
				t.Fatalf("object %v: want name, arn, description and lastChanged", o)
			}
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", "list", prefix+"nothing")
		if res.Code != 0 || res.Stdout != "" || !strings.Contains(res.Stderr, "no secret in us-east-1 has a name starting with") {
			t.Errorf("exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
		}
		res = runSecretenv(t, env, "", "list", "--json", prefix+"nothing")
		if res.Code != 0 || res.Stdout != "[]\n" {
			t.Errorf("--json: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
		}
	})
}

// TestListErrors covers list's failures: each is one line naming
// ListSecrets, the region and the AWS error code, and exits 125.
func TestListErrors(t *testing.T) {
	t.Parallel()
	fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
		writeAWSError(w, http.StatusBadRequest, "AccessDeniedException")
	})
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"access denied", fake.env(t), nil, "ListSecrets in us-east-1: access denied (AccessDeniedException); listing needs secretsmanager:ListSecrets"},
		{"no region", withEnv(baseEnv(t), "-AWS_REGION"), nil, "list: no AWS region configured"},
		{"bad prefix", baseEnv(t), []string{"my app"}, `list: prefix "my app"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, tc.env, "", append([]string{"list"}, tc.args...)...)
			if res.Code != 125 || res.Stdout != "" {
				t.Errorf("exit %d, stdout %q", res.Code, res.Stdout)
			}
			checkOneLine(t, res.Stderr, tc.want)
		})
	}
}
