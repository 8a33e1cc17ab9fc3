package supervise

import (
	"os"

	"golang.org/x/sys/unix"
)

// extraForwardedSignals are Linux's signals to forward beyond the common
// ones: SIGPWR, SIGSTKFLT, and the real-time signals SIGRTMIN+2..SIGRTMAX
// (34-64). glibc keeps 32 and 33 for its threads, so no program expects them.
var extraForwardedSignals = func() []os.Signal {
	sigs := []os.Signal{unix.SIGPWR, unix.SIGSTKFLT}
	for n := 34; n <= 64; n++ {
		sigs = append(sigs, unix.Signal(n))
	}
	return sigs
}()

// setSubreaper makes secretenv, when it is not PID 1, the parent of every
// orphan among the command's descendants (PR_SET_CHILD_SUBREAPER, Linux
// 3.4), so that it reaps them as PID 1 would and a restart leaves none
// behind unseen. As PID 1 it already is.
func setSubreaper() {
	if os.Getpid() != 1 {
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
}

// PollNowSignal is the signal that asks secretenv --watch to poll at once
// (kill -44 1): signal 44, which glibc names SIGRTMIN+10 (musl, whose
// SIGRTMIN is 35, names it SIGRTMIN+9, hence the number in the docs). It is
// taken out of the forwarded ones. Why this one: the signals a server
// already gives a meaning are out (SIGHUP reload; SIGUSR1/SIGUSR2 log
// reopening, and gunicorn's and unicorn's binary upgrade; SIGWINCH, which
// gunicorn, nginx and Apache take as "stop the workers"); real-time signals
// are never sent by the kernel, a terminal, docker stop or Kubernetes, and
// the one user of many of them, systemd (SIGRTMIN+0..6, +13..16, +20..30),
// leaves +7..12 alone.
var PollNowSignal os.Signal = unix.Signal(44)
