package integration

import (
	"net/http"
	"strings"
	"testing"
)

// TestParameterErrorsNameTheVariable checks that a Parameter Store request
// that fails as a whole names the variable that references the parameter,
// as a Secrets Manager failure does: with several references, the user
// must know which setting to fix.
func TestParameterErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(release <-chan struct{}) func(w http.ResponseWriter, _ ssmCall, _ int) bool
		want  string
	}{
		{"no answer until the deadline", func(release <-chan struct{}) func(w http.ResponseWriter, _ ssmCall, _ int) bool {
			return func(w http.ResponseWriter, _ ssmCall, _ int) bool {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				<-release
				return true
			}
		}, "deadline"},
		{"access denied", func(<-chan struct{}) func(w http.ResponseWriter, _ ssmCall, _ int) bool {
			return func(w http.ResponseWriter, _ ssmCall, _ int) bool {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"__type":"AccessDeniedException","message":"no"}`))
				return true
			}
		}, "AccessDeniedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			fake := startSSMProxy(t, tc.fault(release))
			t.Cleanup(func() { close(release) }) // before the proxy closes, which waits for its handlers: cleanups run last first
			env := ssmEnv(t, fake.URL, "DB_URL="+canaryParam)
			res := runSecretenv(t, env, "", "--timeout", "1s", "--", "true")
			if res.Code != 125 {
				t.Fatalf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
			}
			if !strings.HasPrefix(res.Stderr, "secretenv: DB_URL: ") || !strings.Contains(res.Stderr, canaryParam) ||
				!strings.Contains(res.Stderr, tc.want) || strings.Count(res.Stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line naming DB_URL, the parameter and %q", res.Stderr, tc.want)
			}
		})
	}
}
