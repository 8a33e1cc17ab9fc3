package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestManyMissing proves that failures no retry can fix do not hide one
// another: fifty missing secrets give one line with the count, the first
// names in the order given and the first error, identical on every run.
func TestManyMissing(t *testing.T) {
	t.Parallel()
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = secretName(t, fmt.Sprintf("missing%02d", i))
	}
	env := withEnv(baseEnv(t), "SECRET_ID="+strings.Join(ids, ","))
	first := runSecretenv(t, env, "", "--", "sh", "-c", "echo STARTED")
	checkRefused(t, first, "50 secrets could not be loaded: "+strings.Join(ids[:5], ", ")+" and 45 more; the first: "+ids[0]+": secret not found in region us-east-1 (ResourceNotFoundException)")
	second := runSecretenv(t, env, "", "--", "sh", "-c", "echo STARTED")
	if second.Stderr != first.Stderr {
		t.Errorf("two runs differ:\n%s%s", first.Stderr, second.Stderr)
	}
}

// TestSomeMissing proves that the report names every failed secret among
// ones that load, with the variables that reference each, and that a single
// failure keeps its own message.
func TestSomeMissing(t *testing.T) {
	t.Parallel()
	ok := secretName(t, "ok")
	arn := createSecret(t, "us-east-1", ok, `{"A":"1"}`)
	missingARN := strings.Replace(arn, ok, secretName(t, "gone"), 1)
	missing := secretName(t, "missing")
	t.Run("several", func(t *testing.T) {
		t.Parallel()
		env := withEnv(baseEnv(t), "SECRET_ID="+ok+","+missing, "DB="+missingARN+":password::", "DB2="+missingARN)
		res := runSecretenv(t, env, "", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "2 secrets could not be loaded: "+missing+", "+missingARN+" (DB, DB2); the first: "+missing+": secret not found")
	})
	t.Run("one", func(t *testing.T) {
		t.Parallel()
		env := withEnv(baseEnv(t), "SECRET_ID="+ok, "DB="+missingARN+":password::")
		res := runSecretenv(t, env, "", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "DB: "+missingARN+": secret not found in region us-east-1 (ResourceNotFoundException)")
	})
}

// TestCancelledLoggedAsCancelled proves that --verbose tells a fetch that
// failed from one that another's failure cancelled.
func TestCancelledLoggedAsCancelled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := make(chan struct{}, 2)
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
		if req.SecretId == "bad" {
			// Fail only once both others are in flight, so that they are
			// cancelled rather than never started.
			<-slow
			<-slow
			writeAWSError(w, http.StatusBadRequest, "UnrecognizedClientException")
			return
		}
		slow <- struct{}{}
		<-release // held until the test ends
	})
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	res := runSecretenv(t, fake.env(t, "SECRET_ID=slow1,slow2,bad"), "", "--verbose", "--", "sh", "-c", "echo STARTED")
	if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") {
		t.Fatalf("exit %d, stdout %q; want 125 and the command not run", res.Code, res.Stdout)
	}
	for _, want := range []string{
		`secret=bad region=us-east-1`, `outcome=failed`,
		`secret=slow1 `, `secret=slow2 `, `outcome=cancelled`,
		"secretenv: bad: AWS rejected the credentials (UnrecognizedClientException)",
	} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	for _, line := range strings.Split(res.Stderr, "\n") {
		if strings.Contains(line, "secret=slow") && !strings.Contains(line, "outcome=cancelled") {
			t.Errorf("a cancelled fetch is not logged as cancelled: %s", line)
		}
	}
}
