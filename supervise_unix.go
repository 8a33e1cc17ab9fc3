//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The supervisor is secretenv under --watch: the command runs as its child,
// and secretenv does an init's duties for it, as tini does (tini.c): it
// forwards signals, reaps every child that is re-parented to it, and exits
// with the command's status. One goroutine owns the child's life cycle, so a
// signal, an exit and a change of secrets are handled one at a time.

// supervisor runs one command at a time and restarts or stops it when the
// environment changes.
type supervisor struct {
	argv   []string
	opts   watchOptions
	stderr io.Writer

	sigs       chan os.Signal // caught signals to forward, from catchSignals on
	chld       chan os.Signal // SIGCHLD, on a channel of its own: see catchSignals
	pid        int            // the running child, or 0
	pgid       int            // its process group, which outlives it until emptied
	foreground bool           // the child's group gets the terminal, as a shell's job does

	// polling keeps the orphan reaper away from the children the AWS SDK
	// starts and waits for itself: a credential_process profile runs its
	// program with os/exec during a poll, and a wait4(-1) that collected
	// it first would fail the poll with ECHILD. The poller holds it for
	// each poll; reap collects orphans only when it can take it, and
	// polled asks for a sweep once a poll is over.
	polling sync.Mutex
	polled  chan struct{}
}

func newSupervisor(argv []string, opts watchOptions, stderr io.Writer) *supervisor {
	return &supervisor{argv: argv, opts: opts, stderr: stderr, foreground: ownsTerminal(), polled: make(chan struct{}, 1)}
}

// forwardedSignals are passed on to the child: every signal that is not
// synchronous (SIGSEGV, SIGBUS, ...), not SIGKILL or SIGSTOP, not the
// terminal's (SIGTTIN, SIGTTOU: tini does not forward them either), not
// SIGPIPE (a write of secretenv's own to a closed pipe), and not SIGURG,
// which the Go runtime sends itself to preempt goroutines. SIGTSTP stops
// the child; SIGCONT resumes it. Platform-specific ones (SIGPWR, the
// real-time signals) are added by extraForwardedSignals.
var forwardedSignals = append([]os.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2,
	unix.SIGALRM, unix.SIGWINCH, unix.SIGCONT, unix.SIGTSTP, unix.SIGVTALRM, unix.SIGXCPU, unix.SIGXFSZ,
}, extraForwardedSignals...)

// catchSignals starts queueing the signals to forward, and SIGCHLD, until
// stop is called. Called before the command exists, so that no signal is
// lost in between and its SIGCHLD is seen even if it exits at once. A signal
// ignored when secretenv started stays ignored for the child (nohup), as
// with exec. os/signal drops a signal whose channel is full, so SIGCHLD has
// a channel of its own: a flood of forwarded signals can never crowd out
// the command's exit, and one pending SIGCHLD is enough, as reap collects
// every child that has exited.
func (s *supervisor) catchSignals() (stop func()) {
	s.sigs = make(chan os.Signal, 64)
	s.chld = make(chan os.Signal, 1)
	signal.Notify(s.chld, unix.SIGCHLD)
	for _, sig := range forwardedSignals {
		if !signal.Ignored(sig) {
			signal.Notify(s.sigs, sig)
		}
	}
	return func() {
		signal.Stop(s.sigs)
		signal.Stop(s.chld)
	}
}

// run starts the command with env and supervises it until it exits. It
// returns the command's status as an *exitError (nil for 0), the status for
// --on-change exit, or the error that kept a (re)start from happening.
// catchSignals must have been called.
func (s *supervisor) run(env []string, set map[string]source, changes <-chan envChange) error {
	setSubreaper()
	if err := s.start(env, set); err != nil {
		return err
	}
	var (
		next     *envChange       // the environment to start once the child has stopped
		shutdown bool             // a stop signal came while stopping: do not start again
		kill     <-chan time.Time // when the child is stopping: --stop-timeout
	)
	for {
		select {
		case sig := <-s.sigs:
			if s.pid != 0 {
				unix.Kill(s.pid, sig.(syscall.Signal))
			}
			shutdown = shutdown || (next != nil && s.endsCommand(sig))
		case <-s.chld:
			status, exited := s.reap()
			if !exited {
				continue
			}
			if next == nil {
				return commandStatus(status)
			}
			// Whatever the old command left in its group would hold its
			// ports and files against the new one; and when a stop signal
			// came meanwhile, secretenv exits now, and nothing would be
			// left to stop it.
			unix.Kill(-s.pgid, unix.SIGKILL)
			if shutdown {
				return commandStatus(status)
			}
			if s.opts.onChange == "exit" {
				return &exitError{code: exitSecretsChanged}
			}
			if err := s.start(next.env, next.set); err != nil {
				return err
			}
			next, kill = nil, nil
		case c := <-changes:
			if next != nil { // already stopping: start with the newest
				next = &c
				continue
			}
			next = &c
			what := "restarting the command"
			if s.opts.onChange == "exit" {
				what = fmt.Sprintf("stopping the command and exiting with status %d (--on-change exit)", exitSecretsChanged)
			}
			fmt.Fprintf(s.stderr, "secretenv: watch: %s changed (%s); %s\n", strings.Join(c.secrets, ", "), changedList(c.names), what)
			// The stop signal goes to the command alone, as docker stop
			// sends it to PID 1: a server stops its own workers its own way.
			unix.Kill(s.pid, syscall.Signal(s.opts.stopSignal))
			kill = time.After(s.opts.stopTimeout)
		case <-s.polled:
			// Orphans that exited during the poll; the command cannot be
			// among them, as reap always collects it.
			s.reap()
		case <-kill:
			// Too late for grace: the command and all its group.
			unix.Kill(-s.pgid, unix.SIGKILL)
			kill = nil
		}
	}
}

// endsCommand reports whether sig, received while the command is being
// stopped for a restart, means secretenv should end rather than start it
// again. SIGHUP is not one: many servers take it as "reload".
func (s *supervisor) endsCommand(sig os.Signal) bool {
	return sig == unix.SIGTERM || sig == unix.SIGINT || sig == unix.SIGQUIT || sig == syscall.Signal(s.opts.stopSignal)
}

// start runs the command in its own process group (tini's isolate_child),
// searched on env's PATH as execvp(3) would, with secretenv's stdin, stdout
// and stderr. Failures are exec's: 126, 127, or 125 for E2BIG.
func (s *supervisor) start(env []string, set map[string]source) error {
	if err := checkExecLimits(s.argv, env, set); err != nil {
		return err
	}
	path, err := lookCommand(s.argv[0], env, set)
	if err != nil {
		return err
	}
	p, err := os.StartProcess(path, s.argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Foreground: s.foreground, Ctty: 0},
	})
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return execError(path, err, env, set)
	}
	s.pid, s.pgid = p.Pid, p.Pid
	// The supervisor reaps with wait4 itself; the handle is not needed.
	p.Release()
	return nil
}

// reap collects every child that has exited: the command, and any orphan
// re-parented to secretenv as PID 1 or as subreaper, so none stays a zombie.
// While a poll runs it collects the command only (see polling). exited
// reports whether the command was among them, with its status.
func (s *supervisor) reap() (status unix.WaitStatus, exited bool) {
	which := -1
	if s.polling.TryLock() {
		defer s.polling.Unlock()
	} else if which = s.pid; which == 0 {
		return status, false
	}
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(which, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return status, exited
		}
		if pid == s.pid {
			status, exited, s.pid = ws, true, 0
		}
	}
}

// commandStatus is secretenv's exit for the command's: its own status, or
// 128+N when signal N killed it, as shells report. It prints nothing.
func commandStatus(ws unix.WaitStatus) error {
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// ownsTerminal reports whether stdin is a terminal whose foreground process
// group is secretenv's: the child's group then takes the foreground, so that
// it reads the terminal and gets its ^C, as a shell's foreground job does.
func ownsTerminal() bool {
	pgrp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// parseSignal reads a signal name (SIGTERM, TERM, term) or number.
func parseSignal(v string) (syscall.Signal, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		return syscall.Signal(n), n > 0 && n <= 64
	}
	name := strings.ToUpper(v)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	return sig, sig != 0
}

// signalName is the signal's name, such as SIGTERM, or its number.
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return strconv.Itoa(int(sig))
}
