//go:build unix

package supervise

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secretenv/secretenv/internal/sockets"
	"golang.org/x/sys/unix"
)

// Listen is how the supervisor hands listening sockets to the command
// (secretenv --listen). The zero value hands none.
type Listen struct {
	// Sockets are passed to every start of the command by socket
	// activation, and never closed here: between the old command and the
	// new one, connections wait in the kernel's backlog.
	Sockets *sockets.Set
	// Notify, when set, changes the restart: the new command starts beside
	// the old one, with NOTIFY_SOCKET; once it sends READY=1 the old one is
	// stopped. If it is not ready within ReadyTimeout, or exits first, it
	// is killed and the old one keeps running.
	Notify       *sockets.Notify
	ReadyTimeout time.Duration
}

// overlapState is a restart under Listen.Notify: the new command waiting to
// be ready, and old commands told to stop.
type overlapState struct {
	pending  *starting
	retiring []retiring
}

// starting is a new command that has not said READY=1 yet.
type starting struct {
	pid    int
	ready  chan error // WaitReady's answer, once
	cancel context.CancelCauseFunc
	reason string
}

// retiring is an old command sent the stop signal; its group is killed
// after StopTimeout, or as soon as it exits.
type retiring struct {
	pid   int
	timer *time.Timer
}

// errExited is the cause that ends the wait for a new command that exited.
var errExited = errors.New("the new command exited before it was ready")

// startWithSockets starts the command through the sockets' shim, so that it
// finds them on 3, 4, ... and its own pid in LISTEN_PID, and makes it the
// supervised command.
func (s *Supervisor) startWithSockets(path string, env Env) error {
	pid, err := s.spawnWithSockets(path, env.Vars)
	if err != nil {
		return err
	}
	s.pid, s.pgid = pid, pid
	return nil
}

// spawnWithSockets starts the command through the sockets' shim and
// returns its pid: LISTEN_PID's value, as the shim executes the command in
// place.
func (s *Supervisor) spawnWithSockets(path string, vars []string) (int, error) {
	vars = sockets.StripEnv(vars)
	if s.opts.Listen.Notify != nil {
		vars = append(vars, s.opts.Listen.Notify.Env())
	}
	pid, err := s.spawn(s.opts.Listen.Sockets.Command(path, s.argv, vars))
	if err != nil {
		return 0, fmt.Errorf("starting %s with its sockets: %w", path, err)
	}
	return pid, nil
}

// overlaps reports whether a change starts the new command before the old
// one stops.
func (s *Supervisor) overlaps() bool {
	return s.opts.Listen.Notify != nil && s.opts.Listen.Sockets != nil && s.opts.ExitOnChange == 0
}

// beginOverlap starts the command in c's environment beside the running one
// and waits, in the background, for its READY=1; Run's loop takes the
// answer from readyChan. A newer change replaces a new command that is not
// ready yet. If the new command cannot start, the old one keeps running.
func (s *Supervisor) beginOverlap(c Change) {
	if p := s.overlap.pending; p != nil {
		p.cancel(errors.New("superseded"))
		<-p.ready
		s.dropPending()
	}
	fmt.Fprintf(s.stderr, "secretenv: watch: %s; starting the new command beside the old one until it is ready\n", c.Reason)
	path, err := c.Env.Path()
	pid := 0
	if err == nil {
		pid, err = s.spawnWithSockets(path, c.Env.Vars)
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "secretenv: watch: %v; kept the old one, with the previous values, until the next change\n", err)
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	ctx, stop := context.WithTimeoutCause(ctx, s.opts.Listen.ReadyTimeout,
		fmt.Errorf("the new command was not ready within %v (--ready-timeout)", s.opts.Listen.ReadyTimeout))
	p := &starting{pid: pid, ready: make(chan error, 1), cancel: cancel, reason: c.Reason}
	s.overlap.pending = p
	go func() {
		defer stop()
		p.ready <- s.opts.Listen.Notify.WaitReady(ctx, pid)
	}()
}

// readyChan delivers the pending new command's readiness, or nothing when
// there is none.
func (s *Supervisor) readyChan() <-chan error {
	if s.overlap.pending == nil {
		return nil
	}
	return s.overlap.pending.ready
}

// finishOverlap acts on the new command's readiness: ready, it becomes the
// command and the old one is stopped with the stop signal (SIGKILL to its
// group after StopTimeout); not, it is killed and the old one stays.
func (s *Supervisor) finishOverlap(err error) {
	p := s.overlap.pending
	s.overlap.pending = nil
	p.cancel(nil)
	if err != nil {
		unix.Kill(-p.pid, unix.SIGKILL)
		fmt.Fprintf(s.stderr, "secretenv: watch: %v; kept the old one, with the previous values, until the next change\n", err)
		return
	}
	old, oldGroup := s.pid, s.pgid
	s.pid, s.pgid = p.pid, p.pid
	fmt.Fprintf(s.stderr, "secretenv: watch: the new command is ready; stopping the old one\n")
	unix.Kill(old, s.opts.StopSignal)
	s.overlap.retiring = append(s.overlap.retiring, retiring{
		pid: old,
		timer: time.AfterFunc(s.opts.StopTimeout, func() {
			unix.Kill(-oldGroup, unix.SIGKILL)
		}),
	})
}

// reapedOther is reap's word that pid, not the command, was collected: a
// new command that exited before it was ready ends the wait for it; an old
// one that stopped has what it left in its group killed, as a restart does,
// so that no old worker keeps accepting on the shared sockets.
func (s *Supervisor) reapedOther(pid int) {
	if p := s.overlap.pending; p != nil && p.pid == pid {
		p.cancel(errExited)
		return
	}
	for i, r := range s.overlap.retiring {
		if r.pid == pid {
			r.timer.Stop()
			unix.Kill(-pid, unix.SIGKILL)
			s.overlap.retiring = append(s.overlap.retiring[:i], s.overlap.retiring[i+1:]...)
			return
		}
	}
}

// dropPending kills a new command that will not be used.
func (s *Supervisor) dropPending() {
	if p := s.overlap.pending; p != nil {
		p.cancel(nil)
		unix.Kill(-p.pid, unix.SIGKILL)
		s.overlap.pending = nil
	}
}

// endOverlap kills what a restart left running when the supervisor stops:
// a new command not yet ready and old ones still stopping, so that none
// outlives secretenv.
func (s *Supervisor) endOverlap() {
	s.dropPending()
	for _, r := range s.overlap.retiring {
		r.timer.Stop()
		unix.Kill(-r.pid, unix.SIGKILL)
	}
	s.overlap.retiring = nil
}
