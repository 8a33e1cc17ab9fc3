package integration

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// promptly bounds runs that must end at once or at their deadline: far above
// the deadlines used here, far below runSecretenv's 60s limit.
const promptly = 10 * time.Second

// runTimed runs secretenv and fails the test if it took longer than limit.
func runTimed(t *testing.T, limit time.Duration, env []string, args ...string) result {
	t.Helper()
	start := time.Now()
	res := runSecretenv(t, env, "", args...)
	if took := time.Since(start); took > limit {
		t.Errorf("secretenv took %v, want under %v", took.Round(time.Millisecond), limit)
	}
	return res
}

// TestRetried proves that throttling, 5xx and dropped connections are
// retried, and the command runs once an answer comes.
func TestRetried(t *testing.T) {
	t.Parallel()
	dropConnection := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	for _, tc := range []struct {
		name string
		fail func(w http.ResponseWriter)
	}{
		{"throttling", func(w http.ResponseWriter) { writeAWSError(w, http.StatusBadRequest, "ThrottlingException") }},
		{"internal error", func(w http.ResponseWriter) { writeAWSError(w, http.StatusInternalServerError, "InternalServiceError") }},
		{"503 without a body", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{"dropped connection", dropConnection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const failures = 2
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, n int64) {
				if n <= failures {
					tc.fail(w)
					return
				}
				writeSecret(w, req.SecretId, `{"GREETING":"hello"}`)
			})
			res := runTimed(t, promptly, fake.env(t, "SECRET_ID=app"), "--", "env", "-0")
			if res.Code != 0 {
				t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
			}
			if got := envOf(t, res.Stdout)["GREETING"]; got != "hello" {
				t.Errorf("child saw GREETING=%q", got)
			}
			if n := fake.requests.Load(); n != failures+1 {
				t.Errorf("server saw %d requests, want %d", n, failures+1)
			}
		})
	}
}

// TestDeadline proves that one deadline bounds all retries, and that a
// server that never answers cannot hold the container's start.
func TestDeadline(t *testing.T) {
	t.Parallel()
	t.Run("persistent 500", func(t *testing.T) {
		t.Parallel()
		fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
			writeAWSError(w, http.StatusInternalServerError, "InternalServiceError")
		})
		res := runTimed(t, promptly, fake.env(t, "SECRET_ID=app"), "--timeout", "3s", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "app", "deadline", "3s", "the last answer was InternalServiceError", "--timeout")
		// Backoff starts at 100ms and doubles: within 3s that is a handful of
		// attempts, not one and not a busy loop.
		n := fake.requests.Load()
		if n < 2 || n > 100 {
			t.Errorf("server saw %d requests in 3s, want between 2 and 100", n)
		}
		t.Logf("%d requests in 3s", n)
	})
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		port, err := freePort() // free a moment ago, so nothing listens on it
		if err != nil {
			t.Fatal(err)
		}
		env := withEnv(baseEnv(t), "SECRET_ID=app", fmt.Sprintf("AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:%d", port))
		res := runTimed(t, promptly, env, "--timeout", "2s", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "app", "deadline", "2s", "the last error was", "connection refused")
	})
	t.Run("server never answers", func(t *testing.T) {
		t.Parallel()
		fake, _ := startSilentSM(t)
		res := runTimed(t, promptly, fake.env(t, "SECRET_ID=app", "SECRETENV_TIMEOUT=2s"), "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "app", "deadline", "2s")
		if n := fake.requests.Load(); n < 1 {
			t.Errorf("server saw no request")
		}
	})
}

// TestNotRetried proves that answers no retry can change fail at once, with
// one request, in one line that says what to do.
func TestNotRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		code   string
		want   []string
	}{
		{"not found", http.StatusBadRequest, "ResourceNotFoundException", []string{"not found", "us-east-1", "ResourceNotFoundException"}},
		{"access denied", http.StatusBadRequest, "AccessDeniedException", []string{"access denied", "secretsmanager:GetSecretValue", "kms:Decrypt", "AccessDeniedException"}},
		{"decryption failure", http.StatusBadRequest, "DecryptionFailure", []string{"decrypt", "kms:Decrypt", "DecryptionFailure"}},
		{"invalid request", http.StatusBadRequest, "InvalidRequestException", []string{"InvalidRequestException", "deletion"}},
		{"invalid parameter", http.StatusBadRequest, "InvalidParameterException", []string{"InvalidParameterException"}},
		{"bad credentials", http.StatusBadRequest, "UnrecognizedClientException", []string{"credentials", "UnrecognizedClientException"}},
		{"expired token", http.StatusBadRequest, "ExpiredTokenException", []string{"expired", "ExpiredTokenException"}},
		{"unknown code", http.StatusBadRequest, "SomethingNewException", []string{"SomethingNewException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
				writeAWSError(w, tc.status, tc.code)
			})
			res := runTimed(t, promptly, fake.env(t, "SECRET_ID=app"), "--", "sh", "-c", "echo STARTED")
			checkRefused(t, res, append([]string{"app"}, tc.want...)...)
			if n := fake.requests.Load(); n != 1 {
				t.Errorf("server saw %d requests, want exactly 1", n)
			}
		})
	}
}

// TestBadAnswers proves that a 200 that is not a usable secret is refused
// in one line, without retrying and without quoting the body.
func TestBadAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   []string
	}{
		{"garbled body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write([]byte(`{"SecretString": "{\"A\":"garbled`))
		}, []string{"not valid for GetSecretValue"}},
		{"HTML from a proxy", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Welcome to the captive portal</body></html>"))
		}, []string{"not valid for GetSecretValue"}},
		{"only SecretBinary", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			json.NewEncoder(w).Encode(map[string]any{
				"ARN":          "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf",
				"Name":         "app",
				"SecretBinary": base64.StdEncoding.EncodeToString([]byte(`{"A":"1"}`)),
				"VersionId":    "00000000-0000-0000-0000-000000000001",
			})
		}, []string{"SecretBinary", "SecretString"}},
		{"neither string nor binary", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write([]byte(`{"Name":"app"}`))
		}, []string{"SecretString"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
				tc.answer(w)
			})
			res := runTimed(t, promptly, fake.env(t, "SECRET_ID=app"), "--", "sh", "-c", "echo STARTED")
			checkRefused(t, res, append([]string{"app"}, tc.want...)...)
			if n := fake.requests.Load(); n != 1 {
				t.Errorf("server saw %d requests, want exactly 1", n)
			}
		})
	}
}

// TestOneFailureStopsAll proves fail-closed with several secrets: one that
// fails, among others that load, means the command never runs.
func TestOneFailureStopsAll(t *testing.T) {
	t.Parallel()
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
		if req.SecretId == "denied" {
			writeAWSError(w, http.StatusBadRequest, "AccessDeniedException")
			return
		}
		writeSecret(w, req.SecretId, `{"A":"1"}`)
	})
	res := runTimed(t, promptly, fake.env(t, "SECRET_ID=one,denied,two"), "--", "sh", "-c", "echo STARTED")
	checkRefused(t, res, "denied", "AccessDeniedException")
}

// TestOneAttemptForALargeSecret proves that a healthy server is asked once
// per secret, also for a 60 KB answer that takes many reads. The SDK used to
// lose about 1 in 75 such answers to a connection its own request writer had
// closed ("use of closed network connection", awsconfig.go's inMemoryBody),
// and retry after a backoff; runs below make a relapse show with a
// probability of about 93%.
func TestOneAttemptForALargeSecret(t *testing.T) {
	t.Parallel()
	const runs = 200
	var big strings.Builder
	big.WriteByte('{')
	for i := range 1000 {
		if i > 0 {
			big.WriteByte(',')
		}
		fmt.Fprintf(&big, `"KEY_%04d":"%s"`, i, strings.Repeat("v", 46))
	}
	big.WriteByte('}')
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
		writeSecret(w, req.SecretId, big.String())
	})
	env := fake.env(t, "SECRET_ID=big")
	var retried atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range runs / 4 {
				res := runSecretenv(t, env, "", "--verbose", "--", "true")
				if res.Code != 0 {
					t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
					return
				}
				if !strings.Contains(res.Stderr, "attempts=1 ") {
					retried.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := retried.Load(); n > 0 || fake.requests.Load() != runs {
		t.Errorf("%d of %d runs needed more than one attempt (%d requests)", n, runs, fake.requests.Load())
	}
}
