package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestExitStatusPassesThrough proves that after exec the command's own exit
// status is the one a supervisor sees, for every value from 0 to 255: it is
// the command's, not a copy made by secretenv.
func TestExitStatusPassesThrough(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	const workers = 8 // runs at once: enough to be quick on 2 cores, few enough for moto
	statuses := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for want := range statuses {
				res := runSecretenv(t, env, "", "--", "sh", "-c", fmt.Sprintf(`[ "$OK" = fine ] && exit %d`, want))
				if res.Code != want {
					t.Errorf("command exited %d, secretenv %d; stderr %q", want, res.Code, res.Stderr)
				}
				if want >= 125 && res.Stderr != "" {
					t.Errorf("exit %d: secretenv wrote %q; a status of the command's own must not look like secretenv's", want, res.Stderr)
				}
			}
		}()
	}
	for status := range 256 {
		statuses <- status
	}
	close(statuses)
	wg.Wait()
}

// parentWith runs args from a parent that has ignored some signals, blocked
// SIGUSR1 and lowered the soft open-file limit to 1000, as a supervisor,
// nohup or a shell might, and returns its stdout. (The Go runtime raises the
// soft limit for itself, so secretenv must put it back for the command.) python3 is the parent because sh cannot block signals; it restores
// SIGPIPE and SIGXFSZ, which Python itself ignores, before exec.
func parentWith(t *testing.T, ignore []string, env []string, args ...string) string {
	t.Helper()
	const launcher = `import os, resource, signal, sys
for s in (signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(s, signal.SIG_DFL)
for name in sys.argv[1].split(","):
    if name:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1000), hard))
os.execvp(sys.argv[2], sys.argv[2:])
`
	cmd := exec.Command("python3", append([]string{"-c", launcher, strings.Join(ignore, ",")}, args...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q: %v; stderr %q", args, err, stderr.String())
	}
	return stdout.String()
}

// TestSignalStateAndLimits proves that the command starts with the signal
// dispositions, the signal mask and the open-file limit it would have had
// without secretenv in between.
//
// Only SIGHUP and SIGINT are checked ignored: the Go runtime keeps an
// inherited SIG_IGN for those two alone and installs its own handler for
// the others (SIGTERM, SIGQUIT, SIGPIPE, ...), which exec then resets to the
// default action. The runtime does not expose the disposition it replaced,
// so secretenv cannot restore it. TestIgnoredTermIsNotKept records that.
func TestSignalStateAndLimits(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	// grep reads its own status; a shell in between would reset the mask
	// (dash unblocks every signal when it starts).
	probes := [][]string{
		{"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"},
		{"sh", "-c", "ulimit -n; ulimit -Hn"},
	}
	for _, ignore := range [][]string{nil, {"SIGHUP"}, {"SIGINT"}, {"SIGHUP", "SIGINT"}} {
		t.Run(strings.Join(append([]string{"ignored"}, ignore...), " "), func(t *testing.T) {
			t.Parallel()
			for _, probe := range probes {
				direct := parentWith(t, ignore, env, probe...)
				via := parentWith(t, ignore, env, append([]string{bin, "--"}, probe...)...)
				if via != direct {
					t.Errorf("through secretenv %s saw\n%s\nwithout it\n%s", probe[0], via, direct)
				}
			}
			// The probe must see what the parent set, or the comparison
			// proves nothing.
			direct := parentWith(t, ignore, env, probes[0]...)
			if !strings.Contains(direct, "SigBlk:\t0000000000000200") {
				t.Errorf("the parent's blocked SIGUSR1 is not in %q", direct)
			}
			if limits := parentWith(t, ignore, env, probes[1]...); !strings.HasPrefix(limits, "1000\n") {
				t.Errorf("the parent's soft limit of 1000 open files is not in %q", limits)
			}
		})
	}
}

// TestIgnoredTermIsNotKept documents the known limitation above: a SIGTERM
// ignored by the parent is at its default action in the command. If a Go
// release keeps it, this test fails and the limitation can be dropped.
func TestIgnoredTermIsNotKept(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)
	probe := []string{"grep", "^SigIgn", "/proc/self/status"}
	direct := parentWith(t, []string{"SIGTERM"}, env, probe...)
	via := parentWith(t, []string{"SIGTERM"}, env, append([]string{bin, "--"}, probe...)...)
	const term = 1 << (syscall.SIGTERM - 1)
	if ign := sigIgn(t, direct); ign&term == 0 {
		t.Fatalf("the parent did not ignore SIGTERM: %q", direct)
	}
	if ign := sigIgn(t, via); ign&term != 0 {
		t.Errorf("SIGTERM stayed ignored through secretenv (%q); the Go runtime now keeps it: drop the limitation", via)
	}
}

func sigIgn(t *testing.T, status string) uint64 {
	t.Helper()
	var mask uint64
	if _, err := fmt.Sscanf(strings.TrimSpace(status), "SigIgn:\t%x", &mask); err != nil {
		t.Fatalf("reading %q: %v", status, err)
	}
	return mask
}

// TestStopSignalDuringFetch proves that a supervisor's stop signal during a
// fetch that never answers ends secretenv promptly with 128+N, as a shell
// reports death by that signal, and the command never starts.
func TestStopSignalDuringFetch(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			fake, arrived := startSilentSM(t)
			marker := filepath.Join(t.TempDir(), "started")

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--", "sh", "-c", "touch "+marker)
			cmd.Env = fake.env(t, "SECRET_ID=app")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-ctx.Done():
				t.Fatal("secretenv sent no request within 30s")
			}
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			took := time.Since(sent)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Errorf("secretenv ended with %v, want exit %d; stderr %q", err, 128+int(sig), stderr.String())
			}
			if took > 5*time.Second {
				t.Errorf("secretenv took %v to stop after %v", took, sig)
			}
			checkOneLine(t, stderr.String(), "not run")
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the command started: %s exists (%v)", marker, err)
			}
		})
	}
}
