//go:build unix

package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
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
// signal, an exit and a change of environment are handled one at a time.

// Options shape how the supervisor stops the command for a change.
type Options struct {
	StopSignal  syscall.Signal // sent to the command alone to stop it
	StopTimeout time.Duration  // then SIGKILL to its whole group
	// ExitOnChange, when not 0, is the status Run returns once the command
	// has stopped for a change, instead of starting it again.
	ExitOnChange int
	Listen       Listen // --listen: sockets to hand over, and --ready (listen.go)
	// Own are signals secretenv acts on itself (the poll-now signal), so
	// they are not forwarded to the command.
	Own []os.Signal
}

// Env is an environment to start the command in.
type Env struct {
	Vars []string // NAME=value
	// Path checks, before the start, that the command can start in Vars,
	// and returns the file to run; its error is Run's as it is.
	Path func() (string, error)
	// StartError describes the kernel's refusal (an errno) to start path,
	// as exec's would be described.
	StartError func(path string, err error) error
}

// Change is a new environment for the command.
type Change struct {
	Env Env
	// Reason says what changed, for the line that announces the restart;
	// names only, never a value.
	Reason string
}

// Supervisor runs one command at a time and restarts or stops it when the
// environment changes.
type Supervisor struct {
	argv   []string
	opts   Options
	stderr *lineWriter

	sigs       chan os.Signal // caught signals to forward, from catchSignals on
	chld       chan os.Signal // SIGCHLD, on a channel of its own: see catchSignals
	pid        int            // the running child, or 0
	pgid       int            // its process group, which outlives it until emptied
	foreground bool           // the child's group gets the terminal, as a shell's job does

	// polling keeps the orphan reaper away from the children that others
	// in this process start and wait for themselves: the AWS SDK runs a
	// credential_process profile's program with os/exec during a poll,
	// and a wait4(-1) that collected it first would fail the poll with
	// ECHILD. WithoutReaping holds it; reap collects orphans only when it
	// can take it, and polled asks for a sweep once it is released.
	polling sync.Mutex
	polled  chan struct{}

	overlap overlapState // a restart under Listen.Notify (listen.go)
}

// New returns a supervisor for argv, which prints its own lines (the
// restart's) on stderr. Nothing runs until Run.
func New(argv []string, opts Options, stderr io.Writer) *Supervisor {
	return &Supervisor{argv: argv, opts: opts, stderr: &lineWriter{w: stderr}, foreground: ownsTerminal(), polled: make(chan struct{}, 1)}
}

// Stderr is the writer for every line secretenv prints while it supervises:
// a write to it never stops or kills secretenv, whatever became of its
// stderr (see lineWriter).
func (s *Supervisor) Stderr() io.Writer { return s.stderr }

// WithoutReaping runs f with the orphan reaper held off, for work that
// starts children of its own and waits for them (os/exec), then has the
// orphans that exited meanwhile collected.
func (s *Supervisor) WithoutReaping(f func()) {
	s.polling.Lock()
	f()
	s.polling.Unlock()
	select {
	case s.polled <- struct{}{}:
	default: // a sweep is already asked for
	}
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

// CatchSignals starts queueing the signals to forward, and SIGCHLD, until
// stop is called. Called before the command exists, so that no signal is
// lost in between and its SIGCHLD is seen even if it exits at once. A signal
// ignored when secretenv started stays ignored for the child (nohup), as
// with exec. os/signal drops a signal whose channel is full, so SIGCHLD has
// a channel of its own: a flood of forwarded signals can never crowd out
// the command's exit, and one pending SIGCHLD is enough, as reap collects
// every child that has exited.
//
// SIGPIPE is caught too, into a channel nobody reads: a supervisor must
// outlive its stderr (secretenv --watch ... 2>&1 | head -1). Caught rather
// than ignored, because a caught signal is reset to its default at exec and
// an ignored one stays ignored in the command (signal.Ignore is SIG_IGN, and
// the command would then get EPIPE where it expects to die). With SIGPIPE
// caught, the Go runtime turns a write to a closed pipe on fd 1 or 2 into
// EPIPE instead of killing secretenv (os/signal, "SIGPIPE").
func (s *Supervisor) CatchSignals() (stop func()) {
	s.sigs = make(chan os.Signal, 64)
	s.chld = make(chan os.Signal, 1)
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, unix.SIGPIPE)
	s.stderr.guardTerminal()
	signal.Notify(s.chld, unix.SIGCHLD)
	for _, sig := range forwardedSignals {
		if !signal.Ignored(sig) && !slices.Contains(s.opts.Own, sig) {
			signal.Notify(s.sigs, sig)
		}
	}
	return func() {
		signal.Stop(s.sigs)
		signal.Stop(s.chld)
		signal.Stop(pipe)
	}
}

// Run starts the command in env and supervises it until it exits,
// restarting it in each new environment from changes. It returns the
// status for secretenv to exit with: the command's own, 128+N when signal
// N killed it, or Options.ExitOnChange; or the error that kept a (re)start
// from happening. CatchSignals must have been called.
func (s *Supervisor) Run(env Env, changes <-chan Change) (status int, err error) {
	setSubreaper()
	if err := s.start(env); err != nil {
		return 0, err
	}
	var (
		next     *Change          // the environment to start once the child has stopped
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
				s.endOverlap()
				// The command is gone, whatever ended it (its own exit, a
				// forwarded SIGTERM): what it left in its group (workers
				// started with &) goes with it, as on a restart; were
				// secretenv not PID 1, they would run on under init.
				unix.Kill(-s.pgid, unix.SIGKILL)
				return commandStatus(status), nil
			}
			// Whatever the old command left in its group would hold its
			// ports and files against the new one; and when a stop signal
			// came meanwhile, secretenv exits now, and nothing would be
			// left to stop it.
			unix.Kill(-s.pgid, unix.SIGKILL)
			if shutdown {
				return commandStatus(status), nil
			}
			if s.opts.ExitOnChange != 0 {
				return s.opts.ExitOnChange, nil
			}
			if err := s.start(next.Env); err != nil {
				return 0, err
			}
			next, kill = nil, nil
		case c := <-changes:
			if s.overlaps() {
				s.beginOverlap(c)
				continue
			}
			if next != nil { // already stopping: start with the newest
				next = &c
				continue
			}
			next = &c
			what := "restarting the command"
			if s.opts.ExitOnChange != 0 {
				what = fmt.Sprintf("stopping the command and exiting with status %d (--on-change exit)", s.opts.ExitOnChange)
			}
			fmt.Fprintf(s.stderr, "secretenv: watch: %s; %s\n", c.Reason, what)
			// The stop signal goes to the command alone, as docker stop
			// sends it to PID 1: a server stops its own workers its own way.
			unix.Kill(s.pid, s.opts.StopSignal)
			kill = time.After(s.opts.StopTimeout)
		case err := <-s.readyChan():
			s.finishOverlap(err)
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
func (s *Supervisor) endsCommand(sig os.Signal) bool {
	return sig == unix.SIGTERM || sig == unix.SIGINT || sig == unix.SIGQUIT || sig == s.opts.StopSignal
}

// start runs the command in its own process group (tini's isolate_child),
// at the path env.Path finds, with secretenv's stdin, stdout and stderr.
// Failures are env's: Path's, or StartError's for the kernel's.
func (s *Supervisor) start(env Env) error {
	path, err := env.Path()
	if err != nil {
		return err
	}
	if s.opts.Listen.Sockets != nil {
		return s.startWithSockets(path, env)
	}
	pid, err := s.spawn(&exec.Cmd{Path: path, Args: s.argv, Env: env.Vars})
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return env.StartError(path, err)
	}
	s.pid, s.pgid = pid, pid
	return nil
}

// spawn starts cmd, the command or the --listen shim that becomes it, in a
// process group of its own with secretenv's stdin, stdout and stderr, and
// returns its pid. The supervisor reaps with wait4 itself, so the handle is
// released.
func (s *Supervisor) spawn(cmd *exec.Cmd) (int, error) {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: s.foreground, Ctty: 0}
	// Not while a line is being written: where withoutTTOU ignores SIGTTOU
	// meanwhile, the command would inherit SIG_IGN (see lineWriter).
	s.stderr.mu.Lock()
	err := cmd.Start()
	s.stderr.mu.Unlock()
	if err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	return pid, nil
}

// reap collects every child that has exited: the command, and any orphan
// re-parented to secretenv as PID 1 or as subreaper, so none stays a zombie.
// exited reports whether the command was among them, with its status.
//
// While a poll runs, wait4(-1) could take the AWS SDK's own child (a
// credential_process program, which os/exec waits for by its pid) and fail
// the poll with ECHILD; and a poll may last the whole --timeout of retries,
// while an app making 100 orphans every 2 s piles up hundreds of zombies.
// So meanwhile reap takes each zombie child by its pid, and only those
// outside secretenv's own process group: os/exec starts the SDK's children
// in secretenv's group, while the command runs in a group of its own
// (Setpgid) and its orphans stay in the command's group or one they made.
// The two sets cannot overlap, so the SDK's wait4(pid) and this one never
// race for the same child. Between polls wait4(-1) sweeps up whatever else
// is left (an orphan that joined secretenv's group, were there one).
func (s *Supervisor) reap() (status unix.WaitStatus, exited bool) {
	which := -1
	if s.polling.TryLock() {
		defer s.polling.Unlock()
	} else {
		own := unix.Getpgrp()
		for _, z := range zombieChildren() {
			var ws unix.WaitStatus
			if z.pgrp == own {
				continue
			}
			if pid, err := unix.Wait4(z.pid, &ws, unix.WNOHANG, nil); err == nil && pid == s.pid && pid > 0 {
				status, exited, s.pid = ws, true, 0
			}
		}
		if which = s.pid; which == 0 {
			return status, exited
		}
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
		} else {
			s.reapedOther(pid)
		}
	}
}

// commandStatus is secretenv's exit for the command's: its own status, or
// 128+N when signal N killed it, as shells report.
func commandStatus(ws unix.WaitStatus) int {
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return code
}

// ownsTerminal reports whether stdin is a terminal whose foreground process
// group is secretenv's: the child's group then takes the foreground, so that
// it reads the terminal and gets its ^C, as a shell's foreground job does.
func ownsTerminal() bool {
	pgrp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// ParseSignal reads a signal name (SIGTERM, TERM, term) or number.
func ParseSignal(v string) (syscall.Signal, bool) {
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

// SignalName is the signal's name, such as SIGTERM, or its number.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return strconv.Itoa(int(sig))
}

// lineWriter writes secretenv's own lines while it supervises, so that no
// write can stop or kill it:
//   - a closed pipe gives EPIPE, not death (SIGPIPE is caught: see
//     CatchSignals), and the line is dropped;
//   - on a terminal with "stty tostop", a background process that writes
//     gets SIGTTOU, which stops it: secretenv would stay wedged while the
//     command, in the foreground, runs on unsupervised. tini ignores
//     SIGTTOU and restores it in the child between fork and exec, which Go
//     cannot do: an ignored signal stays ignored through exec. Caught alone
//     is no help either: the kernel answers the write with SIGTTOU again at
//     each restart. So each write runs under withoutTTOU, as the terminal
//     hand-back does, and the command is never started meanwhile (spawn
//     holds mu), for the systems where withoutTTOU must ignore the signal.
//
// SIGTTIN is left alone: secretenv never reads the terminal while it
// supervises.
type lineWriter struct {
	mu   sync.Mutex
	w    io.Writer
	ttou chan os.Signal // SIGTTOU, caught and dropped; nil when ignored from the start
}

// guardTerminal catches SIGTTOU, unless it was ignored when secretenv
// started (the command then inherits that, as with exec), so that one sent
// from elsewhere does not stop the supervisor either.
func (l *lineWriter) guardTerminal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ttou == nil && !signal.Ignored(unix.SIGTTOU) {
		l.ttou = make(chan os.Signal, 1)
		signal.Notify(l.ttou, unix.SIGTTOU)
	}
}

func (l *lineWriter) Write(p []byte) (n int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	withoutTTOU(func() { n, err = l.w.Write(p) })
	return n, err
}
