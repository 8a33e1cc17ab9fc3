package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The supervisor must never die, stop or hang while the command lives, and
// nothing it started may outlive it (issue 20 §2). Each test here
// reproduced its failure on the code before the fix.

// sigIgnLine makes an app print its ignored-signal mask, as "sigign MASK":
// a supervisor that ignores a signal for itself must not pass SIG_IGN on.
const sigIgnLine = `echo "sigign $(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)"; `

// checkNotIgnored fails the test unless every "sigign MASK" in out leaves
// SIGPIPE and SIGTTOU at their defaults: the signals the supervisor keeps
// from harming itself. (A shell may ignore others, such as SIGTTIN, for its
// own reasons.)
func checkNotIgnored(t *testing.T, out string) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(out, "\n") {
		hex, ok := strings.CutPrefix(strings.TrimSpace(line), "sigign ")
		if !ok {
			continue
		}
		n++
		mask, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatalf("sigign line %q: %v", line, err)
		}
		for _, sig := range []syscall.Signal{syscall.SIGPIPE, syscall.SIGTTOU} {
			if mask&(1<<(sig-1)) != 0 {
				t.Errorf("the command inherited %v ignored (mask %s)", sig, hex)
			}
		}
	}
	if n == 0 {
		t.Errorf("no sigign line in %q", out)
	}
}

// TestSupervisorStderrClosed: stderr is a pipe whose reader has gone
// (secretenv --watch ... 2>&1 | head -1). The restart line then meets a
// closed pipe; secretenv used to die of SIGPIPE there (141), leaving the
// command unsupervised. Now the line is lost and the restart happens; the
// command still has SIGPIPE at its default.
func TestSupervisorStderrClosed(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"first-p1"}`)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before secretenv writes anything
	run := &watchRun{done: make(chan struct{})}
	run.cmd = exec.Command(bin, watchArgs("--", "sh", "-c", sigIgnLine+app("GREETING")[2])...)
	run.cmd.Env = withEnv(baseEnv(t), "SECRET_ID="+name)
	run.cmd.Stdout, run.cmd.Stderr = &run.stdout, w
	startRun(t, run)
	w.Close()
	run.waitFor(t, run.stdout.String, "start first-p1")
	putSecret(t, name, `{"GREETING":"second-p2"}`)
	run.waitFor(t, run.stdout.String, "start second-p2")
	checkNotIgnored(t, run.stdout.String())
	run.signal(t, syscall.SIGTERM)
	if code := run.exit(t); code != 0 {
		t.Errorf("exit %d after SIGTERM, want the command's 0", code)
	}
}

// zombiesOf counts the children of host process pid that are zombies.
func zombiesOf(t *testing.T, pid int) int {
	t.Helper()
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	n := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			stat, err := os.ReadFile("/proc/" + c + "/stat")
			if err != nil {
				continue
			}
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
				n++
			}
		}
	}
	return n
}

// TestSupervisorReapsDuringSilentPoll: as PID 1, with an app that makes 50
// orphans per batch, while a poll waits on a DescribeSecret that is never
// answered (--timeout 60s). Orphans used to be reaped only between polls:
// hundreds of zombies piled up. Now a handful at most.
func TestSupervisorReapsDuringSilentPoll(t *testing.T) {
	t.Parallel()
	held := make(chan struct{}, 1)
	release := make(chan struct{})
	var mu sync.Mutex
	describes := 0
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
		if req.Op != "DescribeSecret" {
			writeSecret(w, req.SecretId, `{"GREETING":"hi"}`)
			return
		}
		mu.Lock()
		describes++
		first := describes == 1
		mu.Unlock()
		if first {
			writeDescribe(w, req.SecretId, "00000000-0000-0000-0000-000000000001")
			return
		}
		select {
		case held <- struct{}{}:
		default:
		}
		<-release
	})
	t.Cleanup(func() { close(release) })
	// Each batch: 50 orphans, each a subshell's sleep that outlives it.
	script := `i=0; while [ $i -lt 600 ]; do j=0; while [ $j -lt 50 ]; do (sleep 0.01 &); j=$((j+1)); done; echo "batch $i"; i=$((i+1)); sleep 0.1; done`
	var stdout, stderr syncBuffer
	cmd, done := startAsPID1(t, fake.env(t, "SECRET_ID=app"), &stdout, &stderr, watchArgs("--timeout", "60s", "--", "sh", "-c", script)...)
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("secretenv exited (%v) before polling; stderr %q", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no poll within 30s; stderr %q", stderr.String())
	}
	secretenv := childOf(t, cmd.Process.Pid)
	start := strings.Count(stdout.String(), "batch ")
	most := 0
	// Ten batches (500 orphans) while the poll is held.
	for strings.Count(stdout.String(), "batch ") < start+10 {
		most = max(most, zombiesOf(t, secretenv))
		select {
		case err := <-done:
			t.Fatalf("secretenv exited (%v) while the poll was held; stderr %q", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	most = max(most, zombiesOf(t, secretenv))
	if most > 10 {
		t.Errorf("up to %d zombies while the poll was held, want a handful at most", most)
	}
}

// TestSupervisorTostop runs secretenv --watch in a real terminal with
// "stty tostop": the command takes the foreground, and secretenv's restart
// line is a background write. It used to stop secretenv with SIGTTOU for
// good, so the change was never applied; now the restart happens, and the
// command does not inherit SIGTTOU ignored. set -m runs secretenv as a job
// in a group of its own under the shell: without job control its group
// would be orphaned, and the kernel answers an orphaned group's write with
// EIO instead of stopping it.
func TestSupervisorTostop(t *testing.T) {
	t.Parallel()
	// --verbose: the poller's debug log is a background write too.
	for _, flags := range []string{"", "--verbose "} {
		t.Run("flags "+flags, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"GREETING":"first-t1"}`)
			env := withEnv(baseEnv(t), "SECRET_ID="+name, "SECRETENV="+bin)
			term := startTerminal(t, env, `set -m; stty tostop; "$SECRETENV" `+flags+`--watch --watch-interval 1s -- sh -c '`+strings.ReplaceAll(sigIgnLine+app("GREETING")[2], "'", `'\''`)+`'; echo "EXIT=$?"; sleep 600`)
			term.waitFor("start first-t1")
			putSecret(t, name, `{"GREETING":"second-t2"}`)
			screen := term.waitFor("start second-t2")
			if !strings.Contains(screen, "restarting the command") {
				t.Errorf("the terminal does not show the restart line:\n%s", screen)
			}
			checkNotIgnored(t, screen)
		})
	}
}

// TestSupervisorIntervalBound: an interval so long that the delay
// arithmetic overflowed (2,000,000 h panicked, exit 2, after starting the
// command) is refused before anything starts, in one line, with 125.
func TestSupervisorIntervalBound(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	for _, tc := range []struct{ name, interval string }{
		{"2000000h", "2000000h"},
		{"1000000h", "1000000h"},
		{"25h", "25h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--watch", "--watch-interval", tc.interval, "--", "sh", "-c", "echo started")
			if res.Code != 125 || res.Stdout != "" {
				t.Errorf("exit %d, stdout %q; want 125 and the command never started", res.Code, res.Stdout)
			}
			if lines := strings.Count(res.Stderr, "\n"); lines != 1 || !strings.HasPrefix(res.Stderr, "secretenv: ") || !strings.Contains(res.Stderr, "above the maximum of 24h") {
				t.Errorf("stderr %q: want one line naming the 24h maximum", res.Stderr)
			}
		})
	}
}

// processesWith lists the host processes whose command line holds marker.
func processesWith(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(marker)) {
			stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
				continue // exited; its parent has yet to reap it
			}
			out = append(out, pid)
		}
	}
	return out
}

// killWith kills, when the test ends, any process left with marker, so a
// failing test leaves nothing behind.
func killWith(t *testing.T, marker string) {
	t.Cleanup(func() {
		for _, pid := range processesWith(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// waitGone waits until no process holds marker, and fails with the ones
// left after 10 s.
func waitGone(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := processesWith(marker)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v (%s) outlived secretenv", left, marker)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSupervisorEndsGroup: the command starts a worker in its own group
// (sleep &) and exits on SIGTERM without it. Outside PID 1 the worker used
// to run on under init; now it is killed once the command has exited,
// whichever way secretenv ends.
func TestSupervisorEndsGroup(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	for _, tc := range []struct {
		name   string
		script string
		signal bool
	}{
		{"SIGTERM", `trap 'exit 0' TERM; sleep %s & echo started; while :; do sleep 0.1; done`, true},
		{"command exits", `sleep %s & echo started; sleep 0.5; exit 3`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			marker := fmt.Sprintf("%d.%d", 3000+time.Now().UnixNano()%1000, os.Getpid())
			killWith(t, marker)
			w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs("--", "sh", "-c", fmt.Sprintf(tc.script, marker))...)
			w.waitFor(t, w.stdout.String, "started")
			if len(processesWith(marker)) == 0 {
				t.Fatal("the worker did not start")
			}
			if tc.signal {
				w.signal(t, syscall.SIGTERM)
			}
			w.exit(t)
			waitGone(t, marker)
		})
	}
}

// TestSupervisorHungCredentialProcess: the profile's credential_process
// hangs (a script that starts a sleep and waits). secretenv fails closed
// with 125 at its --timeout; it used to leave the script and its sleep
// running. Now neither outlives it.
func TestSupervisorHungCredentialProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := fmt.Sprintf("%d.%d", 4000+time.Now().UnixNano()%1000, os.Getpid())
	killWith(t, marker)
	script := writeScript(t, dir, "creds-"+marker, "#!/bin/sh\nexec 2>/dev/null\nsleep "+marker+" &\nwait\n", 0o755)
	config := filepath.Join(dir, "config")
	writeFile(t, config, "[profile hung]\nregion = us-east-1\ncredential_process = "+script+"\n")
	env := withEnv(baseEnv(t), append(noStaticKeys, "SECRET_ID=app", "AWS_PROFILE=hung", "AWS_CONFIG_FILE="+config)...)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"exec", []string{"--timeout", "2s", "--", "true"}},
		{"watch", watchArgs("--timeout", "2s", "--", "true")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runSecretenv(t, env, "", tc.args...)
			if res.Code != 125 {
				t.Fatalf("exit %d, stderr %q; want 125", res.Code, res.Stderr)
			}
			waitGone(t, marker)
		})
	}
}

// TestSupervisorPollNow: with an interval of a day, signal 44 asks for a
// poll at once, and the rotation is applied.
func TestSupervisorPollNow(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"first-n1"}`)
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), append([]string{"--watch", "--watch-interval", "24h", "--"}, app("GREETING")...)...)
	w.waitFor(t, w.stdout.String, "start first-n1")
	putSecret(t, name, `{"GREETING":"second-n2"}`)
	w.signal(t, syscall.Signal(44))
	w.waitFor(t, w.stdout.String, "start second-n2")
	if strings.Contains(w.stdout.String(), "signal") {
		t.Errorf("the command saw the signal: %q", w.stdout.String())
	}
}

// TestSupervisorBadVersionOnce: a new version that cannot be used is
// reported once, not at every poll while it stays current.
func TestSupervisorBadVersionOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	describes := 0
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case req.Op == "DescribeSecret":
			describes++
			id := "00000000-0000-0000-0000-000000000001"
			if describes > 1 {
				id = "00000000-0000-0000-0000-000000000002"
			}
			writeDescribe(w, req.SecretId, id)
		case describes > 1:
			writeSecret(w, req.SecretId, `not json`)
		default:
			writeSecret(w, req.SecretId, `{"GREETING":"hello"}`)
		}
	})
	polls := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Repeat("poll ", describes)
	}
	w := startWatching(t, fake.env(t, "SECRET_ID=app"), watchArgs(append([]string{"--"}, app("GREETING")...)...)...)
	w.waitFor(t, w.stdout.String, "start hello")
	w.waitCount(t, polls, "poll ", 5) // the start's, then 4 polls of the bad version
	if n := strings.Count(w.stderr.String(), "new version not used"); n != 1 {
		t.Errorf("the bad version was reported %d times, want once: %q", n, w.stderr.String())
	}
}
