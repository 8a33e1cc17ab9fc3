package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// As PID 1 of a PID namespace, a process gets no default signal actions: the
// kernel drops a signal it has no handler for. These tests run secretenv as
// PID 1, the way a container runtime starts an entrypoint.

// unshareArgs makes the command after them PID 1 of a new PID namespace,
// with its own /proc. --kill-child kills it if unshare dies, so no test
// leaves it behind.
var unshareArgs = []string{"--pid", "--fork", "--mount-proc", "--kill-child", "--"}

// needUnshare returns unshare's path. A missing unshare fails the test; a
// kernel or sandbox that refuses PID namespaces skips it, with the reason.
func needUnshare(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("the PID 1 tests need unshare (util-linux): %v", err)
	}
	out, err := exec.Command(path, append(unshareArgs, "true")...).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("Operation not permitted")) {
			t.Skipf("cannot create a PID namespace here: %s", bytes.TrimSpace(out))
		}
		t.Fatalf("unshare %v: %v: %s", unshareArgs, err, out)
	}
	return path
}

// startAsPID1 starts secretenv args as PID 1 of a new PID namespace and
// returns the unshare process; the test kills it if it is still running.
func startAsPID1(t *testing.T, env []string, stdout, stderr io.Writer, args ...string) (cmd *exec.Cmd, done <-chan error) {
	t.Helper()
	cmd = exec.Command(needUnshare(t), append(append(unshareArgs, bin), args...)...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 10 * time.Second // an orphan holding stdout must not hang Wait
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		ch <- cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd, ch
}

// waitExit waits for the unshare process and returns its exit status, which
// is its child's; it fails the test if that takes longer than limit.
func waitExit(t *testing.T, done <-chan error, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatal(err)
	case <-time.After(limit):
		t.Fatalf("secretenv as PID 1 did not exit within %v", limit)
	}
	return -1
}

// childOf returns the host PID of the only child of process pid, as listed
// in /proc/PID/task/*/children.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var children []string
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		children = append(children, strings.Fields(string(b))...)
	}
	if len(children) != 1 {
		t.Fatalf("unshare (PID %d) has children %q, want one", pid, children)
	}
	child, err := strconv.Atoi(children[0])
	if err != nil {
		t.Fatal(err)
	}
	return child
}

// namespacePID returns the PID that host process pid has in its own PID
// namespace: the last field of NSpid in /proc/PID/status.
func namespacePID(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(rest)
			return f[len(f)-1]
		}
	}
	t.Fatalf("no NSpid line in /proc/%d/status", pid)
	return ""
}

// TestPID1Runs proves that secretenv works as PID 1 and the command it
// execs is PID 1 in its place.
func TestPID1Runs(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hello"}`)
	var stdout, stderr bytes.Buffer
	_, done := startAsPID1(t, withEnv(baseEnv(t), "SECRET_ID="+name), &stdout, &stderr, "--", "sh", "-c", `echo "$$ $GREETING"`)
	if code := waitExit(t, done, 30*time.Second); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if stdout.String() != "1 hello\n" {
		t.Errorf("command printed %q, want PID 1 and the secret: %q", stdout.String(), "1 hello\n")
	}
}

// TestPID1StopSignal proves that a stop signal during a fetch that never
// answers ends secretenv as PID 1 promptly with 128+N, and the command never
// starts: Go's default handling would exit 2, and the kernel would drop a
// signal without a handler.
func TestPID1StopSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			fake, arrived := startSilentSM(t)
			marker := filepath.Join(t.TempDir(), "started")

			var stdout, stderr bytes.Buffer
			env := fake.env(t, "SECRET_ID=app")
			cmd, done := startAsPID1(t, env, &stdout, &stderr, "--timeout", "60s", "--", "sh", "-c", "touch "+marker)
			// A request proves secretenv is running and its handlers are set:
			// a signal sent earlier could be dropped by the kernel.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			select {
			case <-arrived:
			case err := <-done:
				t.Fatalf("secretenv ended before its request: %v, stderr %q", err, stderr.String())
			case <-ctx.Done():
				t.Fatal("secretenv sent no request within 30s")
			}
			pid := childOf(t, cmd.Process.Pid)
			if exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); exe != bin {
				t.Fatalf("unshare's child runs %q, want %q", exe, bin)
			}
			if got := namespacePID(t, pid); got != "1" {
				t.Fatalf("secretenv is PID %s in its namespace, want 1", got)
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			if code := waitExit(t, done, 5*time.Second); code != 128+int(sig) {
				t.Errorf("exit %d, want %d; stderr %q", code, 128+int(sig), stderr.String())
			}
			checkOneLine(t, stderr.String(), "not run")
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the command started: %s exists (%v)", marker, err)
			}
		})
	}
}
