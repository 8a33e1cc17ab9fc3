package integration

import (
	"bytes"
	"context"
	"errors"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The --watch tests poll every second; "within 3 intervals" is asserted
// with a generous margin, as the machine is shared.
const watchLimit = 15 * time.Second

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchRun is secretenv --watch running in the background.
type watchRun struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	code           int
}

// startWatching starts secretenv with args. The test's cleanup sends it
// SIGTERM, which it forwards, and SIGKILLs it if it is still there 15 s on.
func startWatching(t *testing.T, env []string, args ...string) *watchRun {
	t.Helper()
	w := &watchRun{done: make(chan struct{})}
	w.cmd = exec.Command(bin, args...)
	w.cmd.Env = env
	w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
	startRun(t, w)
	return w
}

// startRun starts run.cmd, set up by the caller, and has the test's cleanup
// stop it: SIGTERM, which secretenv forwards, then SIGKILL if it is still
// there watchLimit on.
func startRun(t *testing.T, run *watchRun) {
	t.Helper()
	run.cmd.WaitDelay = 10 * time.Second // an orphan holding stdout must not hang Wait
	run.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := run.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := run.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			run.code = ee.ExitCode()
		} else if err != nil {
			run.code = -1
		}
		close(run.done)
	}()
	t.Cleanup(func() {
		run.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-run.done:
		case <-time.After(watchLimit):
			run.cmd.Process.Kill()
			<-run.done
		}
	})
}

// waitFor waits until out() holds want, failing the test after watchLimit
// or if secretenv exits first.
func (w *watchRun) waitFor(t *testing.T, out func() string, want string) {
	t.Helper()
	w.waitCount(t, out, want, 1)
}

// waitCount waits until out() holds want n times.
func (w *watchRun) waitCount(t *testing.T, out func() string, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(watchLimit)
	for strings.Count(out(), want) < n {
		select {
		case <-w.done:
			if strings.Count(out(), want) >= n {
				return
			}
			t.Fatalf("secretenv exited %d before %q appeared %d times; stdout %q, stderr %q", w.code, want, n, w.stdout.String(), w.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not appear %d times within %v; stdout %q, stderr %q", want, n, watchLimit, w.stdout.String(), w.stderr.String())
		}
	}
}

// exit waits for secretenv to exit and returns its status.
func (w *watchRun) exit(t *testing.T) int {
	t.Helper()
	select {
	case <-w.done:
		return w.code
	case <-time.After(watchLimit):
		t.Fatalf("secretenv did not exit within %v; stdout %q, stderr %q", watchLimit, w.stdout.String(), w.stderr.String())
	}
	return -1
}

// signal sends sig to secretenv.
func (w *watchRun) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// app is a command that prints "start VALUE PID" with the value of name
// when it starts and "stop VALUE" when SIGTERM stops it. It ends by itself
// after 60 s, so no test can leave it behind.
func app(name string) []string {
	return []string{"sh", "-c", `trap 'echo "stop $` + name + `"; exit 0' TERM; echo "start $` + name + ` $$"
i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`}
}

// putSecret writes text as the secret's new AWSCURRENT version.
func putSecret(t *testing.T, name, text string) {
	t.Helper()
	_, err := smClient(t, "us-east-1").PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String(text),
	})
	if err != nil {
		t.Fatalf("putting a new version of %s: %v", name, err)
	}
}

// watchArgs are the flags every --watch test uses, then args.
func watchArgs(args ...string) []string {
	return append([]string{"--watch", "--watch-interval", "1s"}, args...)
}

// TestWatchRestartsOnChange proves the whole cycle: a new version is seen
// within 3 intervals, the old command is stopped with SIGTERM, the new one
// starts with the new value, the log names the variable and never a value,
// and SIGTERM then ends both with the command's status.
func TestWatchRestartsOnChange(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"first-x1","OTHER":"same"}`)
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs(append([]string{"--"}, app("GREETING")...)...)...)
	w.waitFor(t, w.stdout.String, "start first-x1")
	putSecret(t, name, `{"GREETING":"second-x2","OTHER":"same"}`)
	w.waitFor(t, w.stdout.String, "start second-x2")
	out := w.stdout.String()
	if !strings.Contains(out, "stop first-x1\n") || strings.Index(out, "stop first-x1") > strings.Index(out, "start second-x2") {
		t.Errorf("the old command was not stopped before the new one started: %q", out)
	}
	stderr := w.stderr.String()
	if !strings.Contains(stderr, "secretenv: watch: "+name+" changed (GREETING); restarting the command\n") {
		t.Errorf("stderr %q does not name the change", stderr)
	}
	for _, v := range []string{"first-x1", "second-x2", "same"} {
		if strings.Contains(stderr, v) {
			t.Errorf("stderr holds the value %q: %q", v, stderr)
		}
	}
	w.signal(t, syscall.SIGTERM)
	if code := w.exit(t); code != 0 {
		t.Errorf("exit %d after SIGTERM, want the command's 0; stderr %q", code, w.stderr.String())
	}
	if !strings.Contains(w.stdout.String(), "stop second-x2") {
		t.Errorf("the command did not get SIGTERM: %q", w.stdout.String())
	}
}

// TestWatchSameEnvironment proves that a new version that changes nothing
// the command sees does not restart it: here a key the environment already
// sets, which wins over the secret.
func TestWatchSameEnvironment(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hello","MODE":"a"}`)
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name, "MODE=env"), watchArgs(append([]string{"--verbose", "--"}, app("GREETING")...)...)...)
	w.waitFor(t, w.stdout.String, "start hello")
	putSecret(t, name, `{"GREETING":"hello","MODE":"b"}`)
	w.waitFor(t, w.stderr.String, "new version, same environment")
	if n := strings.Count(w.stdout.String(), "start "); n != 1 {
		t.Errorf("the command started %d times, want once: %q", n, w.stdout.String())
	}
}

// TestWatchKeepsCommandOnBadVersion proves that a new version that cannot
// be used leaves the running command alone, logs one line naming the key
// or the error and never the value, and that a good version after it is
// picked up.
func TestWatchKeepsCommandOnBadVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text, want string
		args             []string
	}{
		{"refused key", `{"GREETING":"hello","bad-key":"v-bad1"}`, "invalid variable name <7-byte key, not shown>", nil},
		{"denied key", `{"GREETING":"hello","LD_PRELOAD":"v-bad2"}`, "LD_PRELOAD", nil},
		{"not JSON", `GREETING=v-bad3`, "not valid JSON", nil},
		{"JSON cut short", `{"GREETING":"v-bad4`, "JSON", nil},
		{"a PATH without the command", `{"GREETING":"hello","PATH":"/v-bad5"}`, "'sh': command not found", []string{"--allow-key", "PATH", "--override"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"GREETING":"hello"}`)
			args := append(append(tc.args, "--"), app("GREETING")...)
			w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs(args...)...)
			w.waitFor(t, w.stdout.String, "start hello")
			putSecret(t, name, tc.text)
			w.waitFor(t, w.stderr.String, "the command keeps running with the previous values")
			line, _, _ := strings.Cut(w.stderr.String(), "\n")
			if !strings.HasPrefix(line, "secretenv: watch: new version not used: "+name+": ") || !strings.Contains(line, tc.want) {
				t.Errorf("log line %q does not name %s and %q", line, name, tc.want)
			}
			if strings.Contains(w.stderr.String(), "v-bad") {
				t.Errorf("stderr holds the value: %q", w.stderr.String())
			}
			if out := w.stdout.String(); strings.Count(out, "start ") != 1 || strings.Contains(out, "stop") {
				t.Errorf("the command was stopped or restarted: %q", out)
			}
			putSecret(t, name, `{"GREETING":"fixed"}`)
			w.waitFor(t, w.stdout.String, "start fixed")
		})
	}
}

// TestWatchOnChangeExit proves --on-change exit: the command is stopped and
// secretenv exits with 75 for the orchestrator to replace the task.
func TestWatchOnChangeExit(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"one"}`)
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs(append([]string{"--on-change", "exit", "--"}, app("GREETING")...)...)...)
	w.waitFor(t, w.stdout.String, "start one")
	putSecret(t, name, `{"GREETING":"two"}`)
	if code := w.exit(t); code != 75 {
		t.Errorf("exit %d, want 75; stderr %q", code, w.stderr.String())
	}
	if out := w.stdout.String(); !strings.Contains(out, "stop one") || strings.Contains(out, "start two") {
		t.Errorf("stdout %q: want the command stopped and not started again", out)
	}
	checkOneLine(t, w.stderr.String(), "changed (GREETING)", "exiting with status 75")
}

// TestWatchForwardsSignals proves that signals to secretenv reach the
// command, and that secretenv then exits with the command's status: its
// own exit code, or 128+N when the signal killed it.
func TestWatchForwardsSignals(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	for _, tc := range []struct {
		sig    syscall.Signal
		trap   bool // the command handles it and exits 7, else it dies of it
		status int
	}{
		{syscall.SIGTERM, true, 7},
		{syscall.SIGINT, true, 7},
		{syscall.SIGHUP, true, 7},
		{syscall.SIGUSR1, true, 7},
		{syscall.SIGWINCH, true, 7},
		{syscall.SIGTERM, false, 128 + 15},
		{syscall.SIGQUIT, false, 128 + 3},
	} {
		t.Run(fmt.Sprintf("%v trapped %v", tc.sig, tc.trap), func(t *testing.T) {
			t.Parallel()
			sig := strings.TrimPrefix(sigName(tc.sig), "SIG")
			script := `i=0; echo ready; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
			if tc.trap {
				script = `trap 'echo got ` + sig + `; exit 7' ` + sig + `; ` + script
			} else {
				script = `trap - ` + sig + `; echo ready; exec sleep 60`
			}
			w := startWatching(t, env, watchArgs("--", "sh", "-c", script)...)
			w.waitFor(t, w.stdout.String, "ready")
			w.signal(t, tc.sig)
			if code := w.exit(t); code != tc.status {
				t.Errorf("exit %d, want %d; stdout %q, stderr %q", code, tc.status, w.stdout.String(), w.stderr.String())
			}
			if tc.trap && !strings.Contains(w.stdout.String(), "got "+sig) {
				t.Errorf("the command did not get %v: %q", tc.sig, w.stdout.String())
			}
			if w.stderr.String() != "" {
				t.Errorf("stderr %q, want nothing", w.stderr.String())
			}
		})
	}
}

func sigName(sig syscall.Signal) string {
	return map[syscall.Signal]string{
		syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP",
		syscall.SIGUSR1: "SIGUSR1", syscall.SIGWINCH: "SIGWINCH", syscall.SIGQUIT: "SIGQUIT",
	}[sig]
}

// TestWatchCommandExits proves that a command that exits by itself ends
// secretenv with the same status, 128+N if a signal killed it, and no word.
func TestWatchCommandExits(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{`[ "$GREETING" = hi ]`, 0},
		{`exit 3`, 3},
		{`exit 125`, 125},
		{`kill -KILL $$`, 137},
	} {
		t.Run(tc.script, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, env, "", watchArgs("--", "sh", "-c", tc.script)...)
			if res.Code != tc.want || res.Stderr != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing", res.Code, res.Stderr, tc.want)
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, env, "", watchArgs("--", "no-such-command-x")...)
		if res.Code != 127 {
			t.Errorf("exit %d, want 127; stderr %q", res.Code, res.Stderr)
		}
		checkOneLine(t, res.Stderr, "no-such-command-x", "not found")
	})
}

// TestWatchStdin proves the command keeps secretenv's stdin.
func TestWatchStdin(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "from stdin\n", watchArgs("--", "cat")...)
	if res.Code != 0 || res.Stdout != "from stdin\n" {
		t.Errorf("exit %d, stdout %q; want 0 and stdin copied", res.Code, res.Stdout)
	}
}

// TestWatchStopTimeout proves that a command that ignores the stop signal
// is killed after --stop-timeout and started again.
func TestWatchStopTimeout(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"one"}`)
	script := `trap '' TERM; echo "start $GREETING"; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs("--stop-timeout", "1s", "--", "sh", "-c", script)...)
	w.waitFor(t, w.stdout.String, "start one")
	putSecret(t, name, `{"GREETING":"two"}`)
	w.waitFor(t, w.stderr.String, "restarting")
	stopping := time.Now()
	w.waitFor(t, w.stdout.String, "start two")
	// Half the timeout leaves room for this test seeing the log line late
	// on a busy machine; an immediate SIGKILL would take milliseconds.
	if took := time.Since(stopping); took < 500*time.Millisecond {
		t.Errorf("restarted %v after the change was logged; the command ignores SIGTERM, so not before --stop-timeout 1s", took)
	}
}

// TestWatchTermDuringRestart proves that SIGTERM while a restart waits for
// the old command ends secretenv without starting the new one, and leaves
// no process of the old one behind.
func TestWatchTermDuringRestart(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"one"}`)
	script := `trap '' TERM; echo "start $GREETING $$"; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs("--stop-timeout", "3s", "--", "sh", "-c", script)...)
	w.waitFor(t, w.stdout.String, "start one ")
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(w.stdout.String(), "start one ")))
	if err != nil {
		t.Fatal(err)
	}
	putSecret(t, name, `{"GREETING":"two"}`)
	w.waitFor(t, w.stderr.String, "restarting")
	w.signal(t, syscall.SIGTERM)
	if code := w.exit(t); code != 137 {
		t.Errorf("exit %d, want 137 (the command ignored SIGTERM and was killed); stderr %q", code, w.stderr.String())
	}
	if strings.Contains(w.stdout.String(), "start two") {
		t.Errorf("the new command started after SIGTERM: %q", w.stdout.String())
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the old command (PID %d) is still there: kill 0 = %v", pid, err)
	}
}

// TestWatchTermDuringRestartWorkers proves that SIGTERM while a restart
// waits for the old command also ends the workers the command leaves in
// its process group when it exits: secretenv is about to exit, so nothing
// would be left to stop them.
func TestWatchTermDuringRestartWorkers(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"one"}`)
	// The worker is in the command's group; the command's own TERM handler
	// takes a second and does not stop it.
	script := `sleep 60 & echo "worker $!"; trap 'sleep 1; exit 0' TERM; echo "start $GREETING"
i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs("--", "sh", "-c", script)...)
	w.waitFor(t, w.stdout.String, "start one")
	var worker int
	if _, err := fmt.Sscanf(w.stdout.String(), "worker %d", &worker); err != nil {
		t.Fatalf("stdout %q: %v", w.stdout.String(), err)
	}
	t.Cleanup(func() { syscall.Kill(worker, syscall.SIGKILL) })
	putSecret(t, name, `{"GREETING":"two"}`)
	w.waitFor(t, w.stderr.String, "restarting")
	w.signal(t, syscall.SIGTERM)
	if code := w.exit(t); code != 0 {
		t.Errorf("exit %d, want 0 (the command's own); stderr %q", code, w.stderr.String())
	}
	// The worker, SIGKILLed, is a zombie of init's until reaped: look at its
	// state, not just whether it exists.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", worker))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old command's worker (PID %d) is still running after secretenv exited: %s", worker, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// orphanScript starts a grandchild that its parent abandons at once, then
// reports its parent and, after it has exited, whether it is gone (reaped)
// or still in /proc (a zombie).
const orphanScript = `sh -c 'sleep 0.5 & echo $! > "$0"' "$PIDFILE"; o=$(cat "$PIDFILE")
echo "me $$ parent $PPID orphan-parent $(sed -n 's/^PPid:[[:space:]]*//p' /proc/$o/status)"
sleep 2
if [ -e /proc/$o ]; then echo "orphan $(sed -n 's/^State:[[:space:]]*//p' /proc/$o/status)"; else echo "orphan reaped"; fi`

// TestWatchReapsOrphans proves that an orphaned grandchild is re-parented to
// secretenv and reaped: as PID 1 of a PID namespace, and elsewhere as
// subreaper.
func TestWatchReapsOrphans(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	t.Run("PID 1", func(t *testing.T) {
		t.Parallel()
		env := withEnv(baseEnv(t), "SECRET_ID="+name, "PIDFILE="+t.TempDir()+"/pid")
		var stdout, stderr bytes.Buffer
		_, done := startAsPID1(t, env, &stdout, &stderr, watchArgs("--", "sh", "-c", orphanScript)...)
		if code := waitExit(t, done, 30*time.Second); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
		if got := stdout.String(); !strings.Contains(got, "parent 1 orphan-parent 1\n") || !strings.Contains(got, "orphan reaped\n") {
			t.Errorf("stdout %q: want the command and the orphan under PID 1, and the orphan reaped", got)
		}
	})
	t.Run("subreaper", func(t *testing.T) {
		t.Parallel()
		env := withEnv(baseEnv(t), "SECRET_ID="+name, "PIDFILE="+t.TempDir()+"/pid")
		res := runSecretenv(t, env, "", watchArgs("--", "sh", "-c", orphanScript)...)
		if res.Code != 0 {
			t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
		}
		var me, parent, orphanParent int
		if _, err := fmt.Sscanf(res.Stdout, "me %d parent %d orphan-parent %d", &me, &parent, &orphanParent); err != nil {
			t.Fatalf("stdout %q: %v", res.Stdout, err)
		}
		if orphanParent != parent || parent == os.Getpid() {
			t.Errorf("the orphan's parent is %d, want secretenv (%d)", orphanParent, parent)
		}
		if !strings.Contains(res.Stdout, "orphan reaped\n") {
			t.Errorf("stdout %q: the orphan was not reaped", res.Stdout)
		}
	})
}

// TestWatchThrottled proves that throttling while polling never touches the
// command: it keeps running, is never restarted, and each failed poll is one
// line naming the error code. The fake answers the start-up's requests and
// throttles every DescribeSecret after them; in the second case it reports a
// new version and throttles the fetch of it.
func TestWatchThrottled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		throttled string // the operation throttled after start-up
	}{
		{"DescribeSecret", "DescribeSecret"},
		{"GetSecretValue of a new version", "GetSecretValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			seen := map[string]int{}
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				mu.Lock()
				seen[req.Op]++
				n := seen[req.Op]
				mu.Unlock()
				switch {
				case n > 1 && req.Op == tc.throttled:
					writeAWSError(w, http.StatusBadRequest, "ThrottlingException")
				case req.Op == "DescribeSecret" && n > 1:
					writeDescribe(w, req.SecretId, "00000000-0000-0000-0000-000000000002")
				case req.Op == "DescribeSecret":
					writeDescribe(w, req.SecretId, "00000000-0000-0000-0000-000000000001")
				default:
					writeSecret(w, req.SecretId, `{"GREETING":"hello"}`)
				}
			})
			w := startWatching(t, fake.env(t, "SECRET_ID=app"), watchArgs(append([]string{"--timeout", "1s", "--"}, app("GREETING")...)...)...)
			w.waitFor(t, w.stdout.String, "start hello")
			w.waitCount(t, w.stderr.String, "ThrottlingException", 2) // two polls in a row, both failed
			for _, line := range strings.SplitAfter(strings.TrimSuffix(w.stderr.String(), "\n"), "\n") {
				if !strings.HasPrefix(line, "secretenv: watch: ") || !strings.Contains(line, "app: no answer within the 1s deadline; the last answer was ThrottlingException") || !strings.Contains(line, "keeps running") {
					t.Errorf("log line %q", line)
				}
			}
			if out := w.stdout.String(); out != "start hello "+strings.Fields(out)[2]+"\n" {
				t.Errorf("the command was stopped or restarted: %q", out)
			}
			select {
			case <-w.done:
				t.Fatalf("secretenv exited %d", w.code)
			default:
			}
		})
	}
}

// TestWatchStartup proves what --watch asks before the command starts: a
// role without secretsmanager:DescribeSecret fails closed, naming it, and a
// reference pinned to a version id is never polled.
func TestWatchStartup(t *testing.T) {
	t.Parallel()
	t.Run("DescribeSecret denied", func(t *testing.T) {
		t.Parallel()
		fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
			if req.Op == "DescribeSecret" {
				writeAWSError(w, http.StatusBadRequest, "AccessDeniedException")
				return
			}
			writeSecret(w, req.SecretId, `{"GREETING":"hello"}`)
		})
		res := runSecretenv(t, fake.env(t, "SECRET_ID=app"), "", watchArgs("--", "sh", "-c", "echo STARTED")...)
		checkRefused(t, res, "app: access denied (AccessDeniedException)", "secretsmanager:DescribeSecret")
	})
	t.Run("one deadline over DescribeSecret and the fetch", func(t *testing.T) {
		t.Parallel()
		// Each answer comes within the deadline; both together do not.
		fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
			time.Sleep(1500 * time.Millisecond)
			if req.Op == "DescribeSecret" {
				writeDescribe(w, req.SecretId, "00000000-0000-0000-0000-000000000001")
				return
			}
			writeSecret(w, req.SecretId, `{"GREETING":"hello"}`)
		})
		res := runSecretenv(t, fake.env(t, "SECRET_ID=app"), "", watchArgs("--timeout", "2s", "--", "sh", "-c", "echo STARTED")...)
		checkRefused(t, res, "app", "deadline", "2s")
	})
	t.Run("pinned version", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		ops := map[string]int{}
		fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
			mu.Lock()
			ops[req.Op]++
			mu.Unlock()
			writeSecret(w, req.SecretId, `{"GREETING":"hello"}`)
		})
		ref := "REF=arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf:GREETING::00000000-0000-0000-0000-000000000001"
		res := runSecretenv(t, fake.env(t, ref), "", watchArgs("--", "sh", "-c", `sleep 2.5; echo "$REF"`)...)
		if res.Code != 0 || res.Stdout != "hello\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
		}
		mu.Lock()
		defer mu.Unlock()
		if ops["DescribeSecret"] != 0 || ops["GetSecretValue"] != 1 {
			t.Errorf("requests %v: want one GetSecretValue and no DescribeSecret", ops)
		}
	})
}

// TestWatchSetupErrorsMatchExec proves that --watch, which asks
// DescribeSecret before loading, fails closed on a setup mistake with the
// same status and line as without it.
func TestWatchSetupErrorsMatchExec(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hi"}`)
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"empty SECRET_ID entry", []string{"SECRET_ID=" + name + ",,other"}},
		{"endpoint that is not a URL", []string{"SECRET_ID=" + name, "AWS_ENDPOINT_URL_SECRETS_MANAGER=127.0.0.1 9"}},
		{"malformed region", []string{"SECRET_ID=" + name, "AWS_REGION=us east 1"}},
		{"secret not found", []string{"SECRET_ID=" + name + "-missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(baseEnv(t), tc.env...)
			plain := runSecretenv(t, env, "", "--", "sh", "-c", "echo STARTED")
			watched := runSecretenv(t, env, "", watchArgs("--", "sh", "-c", "echo STARTED")...)
			checkRefused(t, plain)
			if watched.Code != plain.Code || watched.Stderr != plain.Stderr || watched.Stdout != "" {
				t.Errorf("with --watch: exit %d, stdout %q, stderr %q\nwithout:     exit %d, stderr %q", watched.Code, watched.Stdout, watched.Stderr, plain.Code, plain.Stderr)
			}
		})
	}
}

// TestWatchParameterStore proves that Parameter Store sources are not
// polled (a new parameter value alone restarts nothing) but are read again
// with everything else when a secret's change reloads the environment.
func TestWatchParameterStore(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"one"}`)
	param := paramPath(t) + "/host"
	arn := putParameter(t, "us-east-1", param, "host-1", types.ParameterTypeString)
	script := `trap 'exit 0' TERM; echo "start $GREETING $HOST"; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
	w := startWatching(t, ssmEnv(t, motoURL, "SECRET_ID="+name, "HOST="+arn), watchArgs("--verbose", "--", "sh", "-c", script)...)
	w.waitFor(t, w.stdout.String, "start one host-1\n")
	putParameter(t, "us-east-1", param, "host-2", types.ParameterTypeString)
	polls := strings.Count(w.stderr.String(), `msg="polled secret"`)
	w.waitCount(t, w.stderr.String, `msg="polled secret"`, polls+2)
	if n := strings.Count(w.stdout.String(), "start "); n != 1 {
		t.Fatalf("a parameter's change restarted the command: %q", w.stdout.String())
	}
	putSecret(t, name, `{"GREETING":"two"}`)
	w.waitFor(t, w.stdout.String, "start two host-2\n")
}

// TestWatchCredentialProcess polls with a credential_process profile whose
// credentials expire within a second, so that the SDK runs the program at
// nearly every poll and waits for it with os/exec. The supervisor reaps
// orphans as PID 1 or subreaper; were it to collect the SDK's child first,
// the poll would fail (ECHILD) and the change below would never be seen.
func TestWatchCredentialProcess(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"first-cp1"}`)
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	script := writeScript(t, dir, "creds", `#!/bin/sh
echo run >> `+runs+`
exp=$(date -u -d "@$(($(date +%s) + 1))" +%Y-%m-%dT%H:%M:%SZ)
printf '{"Version":1,"AccessKeyId":"testing","SecretAccessKey":"testing","Expiration":"%s"}\n' "$exp"
`, 0o755)
	config := filepath.Join(dir, "config")
	writeFile(t, config, "[profile cp]\nregion = us-east-1\ncredential_process = "+script+"\n")
	env := withEnv(baseEnv(t), append(noStaticKeys, "SECRET_ID="+name, "AWS_PROFILE=cp", "AWS_CONFIG_FILE="+config)...)
	w := startWatching(t, env, watchArgs(append([]string{"--"}, app("GREETING")...)...)...)
	w.waitFor(t, w.stdout.String, "start first-cp1")
	// Let several polls refresh the credentials before the change.
	w.waitCount(t, func() string { b, _ := os.ReadFile(runs); return string(b) }, "run", 4)
	putSecret(t, name, `{"GREETING":"second-cp2"}`)
	w.waitFor(t, w.stdout.String, "start second-cp2")
	if strings.Contains(w.stderr.String(), "keeps running") {
		t.Errorf("a poll failed: %q", w.stderr.String())
	}
}
