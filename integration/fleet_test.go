package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenBucket admits rate requests per second with bursts of up to burst,
// as Secrets Manager's per-account quota does.
type tokenBucket struct {
	rate, burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newTokenBucket returns a bucket that admits nothing until open.
func newTokenBucket(rate, burst float64) *tokenBucket {
	return &tokenBucket{rate: rate, burst: burst}
}

// open starts admitting requests, with a full burst.
func (b *tokenBucket) open() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens, b.last = b.burst, time.Now()
}

// take reports whether a request is admitted now.
func (b *tokenBucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		return false
	}
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// TestFleetStart starts a fleet of secretenv processes at once against a
// server that throttles above a fixed rate, as hundreds of tasks restarting
// together meet Secrets Manager's quota. Every one must start its command
// with its own secret within the deadline; the jittered retries are what
// spread the herd out. The server admits nothing until the whole fleet has
// been launched, so that all of it overlaps however slowly this machine
// forks: the herd meets a quota that is already spent.
func TestFleetStart(t *testing.T) {
	t.Parallel()
	const (
		processes = 200
		rate      = 50 // admitted requests per second
		burst     = 10
	)
	bucket := newTokenBucket(rate, burst)
	var throttled, served atomic.Int64
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
		if !bucket.take() {
			throttled.Add(1)
			writeAWSError(w, http.StatusBadRequest, "ThrottlingException")
			return
		}
		served.Add(1)
		member, ok := strings.CutPrefix(req.SecretId, "fleet/")
		if !ok {
			writeAWSError(w, http.StatusBadRequest, "ResourceNotFoundException")
			return
		}
		writeSecret(w, req.SecretId, `{"FLEET_MEMBER":"`+member+`"}`)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	type outcome struct {
		stdout, stderr string
		err            error
	}
	results := make([]outcome, processes)
	var wg sync.WaitGroup
	launch := time.Now()
	for i := range processes {
		cmd := exec.CommandContext(ctx, bin, "--timeout", "60s", "--", "printenv", "FLEET_MEMBER")
		cmd.Env = fake.env(t, fmt.Sprintf("SECRET_ID=fleet/%d", i))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting process %d: %v", i, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			results[i] = outcome{stdout.String(), stderr.String(), err}
		}()
	}
	launched := time.Since(launch)
	start := time.Now()
	bucket.open()
	wg.Wait()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("the fleet did not finish within 90s")
	}

	failed := 0
	for i, r := range results {
		want := fmt.Sprintf("%d\n", i)
		if r.err != nil || r.stdout != want {
			failed++
			if failed <= 5 {
				t.Errorf("process %d: %v, stdout %q, stderr %q", i, r.err, r.stdout, r.stderr)
			}
		}
	}
	ideal := time.Duration(float64(processes) / rate * float64(time.Second)) // requests ÷ allowed rate
	t.Logf("%d processes launched in %v, %d/s throttle (burst %d): %d failed; all started their command %v after the quota opened, against an ideal %v; %d requests throttled, %d served",
		processes, launched.Round(time.Millisecond), rate, burst, failed, took.Round(time.Millisecond), ideal, throttled.Load(), served.Load())
	if failed > 0 {
		t.Errorf("%d of %d processes failed", failed, processes)
	}
}
