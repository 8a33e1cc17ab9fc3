package main

import (
	"bytes"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWatchOptions(t *testing.T) {
	t.Parallel()
	defaults := watchOptions{interval: 5 * time.Minute, onChange: "restart", stopSignal: signalFlag(syscall.SIGTERM), stopTimeout: 10 * time.Second}
	with := func(f func(*watchOptions)) watchOptions {
		w := defaults
		f(&w)
		return w
	}
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    watchOptions
	}{
		{"off by default", nil, nil, defaults},
		{"--watch", []string{"--watch"}, nil, with(func(w *watchOptions) { w.enabled = true })},
		{"SECRETENV_WATCH", nil, []string{"SECRETENV_WATCH=true"}, with(func(w *watchOptions) { w.enabled = true })},
		{"--watch=false beats SECRETENV_WATCH", []string{"--watch=false"}, []string{"SECRETENV_WATCH=1"}, defaults},
		{"twins without --watch are ignored", nil, []string{"SECRETENV_WATCH_INTERVAL=1ms", "SECRETENV_ON_CHANGE=x"}, with(func(w *watchOptions) { w.interval = time.Millisecond; w.onChange = "x" })},
		{"all flags", []string{"--watch", "--watch-interval", "1s", "--on-change", "exit", "--stop-signal", "QUIT", "--stop-timeout", "0s"}, nil, watchOptions{
			enabled: true, interval: time.Second, onChange: "exit", stopSignal: signalFlag(syscall.SIGQUIT),
		}},
		{"all twins", nil, []string{"SECRETENV_WATCH=true", "SECRETENV_WATCH_INTERVAL=2m", "SECRETENV_ON_CHANGE=exit", "SECRETENV_STOP_SIGNAL=sigint", "SECRETENV_STOP_TIMEOUT=25s"}, watchOptions{
			enabled: true, interval: 2 * time.Minute, onChange: "exit", stopSignal: signalFlag(syscall.SIGINT), stopTimeout: 25 * time.Second,
		}},
		{"flags beat twins", []string{"--watch", "--watch-interval", "3s", "--stop-signal", "10"}, []string{"SECRETENV_WATCH_INTERVAL=2m", "SECRETENV_STOP_SIGNAL=HUP"}, with(func(w *watchOptions) {
			w.enabled = true
			w.interval = 3 * time.Second
			w.stopSignal = signalFlag(syscall.SIGUSR1)
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, opts, _, err := parseArgs(append(tc.args, "--", "true"), tc.environ, &bytes.Buffer{})
			if err != nil {
				t.Fatalf("parseArgs: %v", err)
			}
			if opts.watch != tc.want {
				t.Errorf("watch options = %+v\nwant            %+v", opts.watch, tc.want)
			}
		})
	}
}

func TestWatchOptionsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"interval below 1s", []string{"--watch", "--watch-interval", "500ms"}, nil, "watch interval 500ms is below the minimum of 1s"},
		{"interval above 24h", []string{"--watch", "--watch-interval", "2000000h"}, nil, "watch interval 2000000h0m0s is above the maximum of 24h"},
		{"interval above 24h by twin", []string{"--watch"}, []string{"SECRETENV_WATCH_INTERVAL=25h"}, "watch interval 25h0m0s is above the maximum of 24h"},
		{"SECRETENV_WATCH not a bool", nil, []string{"SECRETENV_WATCH=yes"}, `SECRETENV_WATCH="yes" is not true or false`},
		{"SECRETENV_WATCH_INTERVAL without a unit", []string{"--watch"}, []string{"SECRETENV_WATCH_INTERVAL=60"}, `SECRETENV_WATCH_INTERVAL="60" is not a duration`},
		{"bad --on-change", []string{"--watch", "--on-change", "reload"}, nil, `on-change "reload" is not restart or exit`},
		{"bad SECRETENV_ON_CHANGE", []string{"--watch"}, []string{"SECRETENV_ON_CHANGE=Exit"}, `on-change "Exit" is not restart or exit`},
		{"unknown --stop-signal", []string{"--watch", "--stop-signal", "SIGNOPE"}, nil, `"SIGNOPE" is not a signal name`},
		{"--stop-signal 0", []string{"--watch", "--stop-signal", "0"}, nil, `"0" is not a signal name`},
		{"bad SECRETENV_STOP_SIGNAL", []string{"--watch"}, []string{"SECRETENV_STOP_SIGNAL=99"}, `SECRETENV_STOP_SIGNAL="99"`},
		{"negative --stop-timeout", []string{"--watch", "--stop-timeout", "-1s"}, nil, "stop timeout -1s must not be negative"},
		{"--on-change without --watch", []string{"--on-change", "exit"}, nil, "--on-change needs --watch"},
		{"--watch-interval without --watch", []string{"--watch-interval", "1m"}, nil, "--watch-interval needs --watch"},
		{"SECRETENV_WATCH on Lambda", nil, []string{"SECRETENV_WATCH=true", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, "--watch cannot supervise an AWS Lambda runtime"},
		{"--watch on Lambda", []string{"--watch"}, []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, "drop --watch and SECRETENV_WATCH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := parseArgs(append(tc.args, "--", "true"), tc.environ, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseArgs = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestPollTargets(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
	opts := options{references: true, secretIDs: []string{"common", arn + "::AWSPREVIOUS:", "common", arn + ":::v1"}}
	environ := []string{
		"DB_USER=" + arn + ":user::",
		"DB_PASS=" + arn + ":pass:AWSCURRENT:",
		"PINNED=arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls:::v2",
		"PLAIN=value",
	}
	want := []polledSecret{
		{ID: "common", Stages: []string{"AWSCURRENT"}},
		{ID: arn, Region: "eu-west-1", Stages: []string{"AWSPREVIOUS", "AWSCURRENT"}},
	}
	got, malformed := pollTargets(opts, environ)
	if malformed {
		t.Error("pollTargets reports a malformed entry")
	}
	if !slices.EqualFunc(got, want, func(a, b polledSecret) bool {
		return a.ID == b.ID && a.Region == b.Region && slices.Equal(a.Stages, b.Stages)
	}) {
		t.Errorf("pollTargets = %+v\nwant %+v", got, want)
	}
	opts.references = false
	if got, _ := pollTargets(opts, environ); len(got) != 2 || !slices.Equal(got[1].Stages, []string{"AWSPREVIOUS"}) {
		t.Errorf("with --no-references, pollTargets = %+v; references must not be polled", got)
	}
	opts.secretIDs = append(opts.secretIDs, "ssm:/myapp/prod")
	opts.references = true
	param := "PARAM=arn:aws:ssm:eu-west-1:123456789012:parameter/myapp/db"
	if got, malformed := pollTargets(opts, append(environ, param)); malformed || len(got) != 2 {
		t.Errorf("with Parameter Store sources, pollTargets = %+v, %v; want them skipped", got, malformed)
	}
	opts.secretIDs = append(opts.secretIDs, "")
	if got, malformed := pollTargets(opts, environ); !malformed || len(got) != 2 {
		t.Errorf("with an empty entry, pollTargets = %+v, %v; want the others and malformed", got, malformed)
	}
}

func TestPollDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		interval time.Duration
		failures int
		lo, hi   time.Duration
	}{
		{10 * time.Second, 0, 8 * time.Second, 12 * time.Second},
		{10 * time.Second, 1, 10 * time.Second, 20 * time.Second},
		{10 * time.Second, 2, 20 * time.Second, 40 * time.Second},
		{10 * time.Second, 30, 20 * time.Second, 40 * time.Second},
		// The largest interval: no overflow into a negative delay (a burst
		// of polls) or a panic in rand.N.
		{maxWatchInterval, 0, maxWatchInterval * 4 / 5, maxWatchInterval * 6 / 5},
		{maxWatchInterval, 30, 2 * maxWatchInterval, 4 * maxWatchInterval},
	} {
		interval := tc.interval
		seen := map[time.Duration]bool{}
		for range 1000 {
			d := pollDelay(interval, tc.failures)
			if d < tc.lo || d >= tc.hi {
				t.Fatalf("pollDelay(%v, %d) = %v, want in [%v, %v)", interval, tc.failures, d, tc.lo, tc.hi)
			}
			seen[d] = true
		}
		if len(seen) < 900 {
			t.Errorf("pollDelay(%v, %d): %d distinct delays in 1000, want jitter", interval, tc.failures, len(seen))
		}
	}
}

func TestChangedNames(t *testing.T) {
	t.Parallel()
	old := []string{"A=1", "B=2", "C=3", "EMPTY="}
	new := []string{"A=1", "B=20", "D=4", "EMPTY=", "C=3=x"}
	if got, want := changedNames(old, new), []string{"B", "C", "D"}; !slices.Equal(got, want) {
		t.Errorf("changedNames = %q, want %q", got, want)
	}
	if got := changedNames(old, old); len(got) != 0 {
		t.Errorf("changedNames of equal environments = %q", got)
	}
	if got, want := changedNames([]string{"A=1", "GONE=x"}, []string{"A=1"}), []string{"GONE"}; !slices.Equal(got, want) {
		t.Errorf("a removed variable: changedNames = %q, want %q", got, want)
	}
}

func TestChangedSecrets(t *testing.T) {
	t.Parallel()
	old := map[stageKey]string{{"a", "", "AWSCURRENT"}: "v1", {"b", "", "AWSCURRENT"}: "v1", {"b", "", "AWSPREVIOUS"}: "v0"}
	new := map[stageKey]string{{"a", "", "AWSCURRENT"}: "v1", {"b", "", "AWSCURRENT"}: "v2", {"b", "", "AWSPREVIOUS"}: "v1"}
	if got := changedSecrets(old, new); !slices.Equal(got, []string{"b"}) {
		t.Errorf("changedSecrets = %q, want [b]", got)
	}
	if got := changedSecrets(old, old); len(got) != 0 {
		t.Errorf("changedSecrets of the same versions = %q", got)
	}
}

func TestChangedList(t *testing.T) {
	t.Parallel()
	names := []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"}
	if got, want := changedList(names), "A, B, C, D, E, F, G, H, I, J and 2 more"; got != want {
		t.Errorf("changedList = %q, want %q", got, want)
	}
	if got := changedList(names[:2]); got != "A, B" {
		t.Errorf("changedList = %q", got)
	}
}
