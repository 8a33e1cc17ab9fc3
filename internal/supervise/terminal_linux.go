package supervise

import (
	"os"
	"os/signal"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctlReadTermios reads a terminal's settings: it fails unless the
// descriptor is a terminal.
const ioctlReadTermios = unix.TCGETS

// cldStopped is siginfo's si_code for a child that stopped (<signal.h>).
const cldStopped = 5

// WaitEditor returns once the editor (pid, leader of its own process group)
// has exited, leaving it to be reaped by cmd.Wait. With the terminal handed
// to it (foreground), Ctrl-Z stops the editor's group only, and the shell
// would never learn of it: the terminal would hang. So secretenv does what
// the stopped job would have done: it takes the terminal back and stops its
// own group; when the shell continues it (fg), it gives the terminal back
// and continues the editor.
func WaitEditor(pid, tty int, foreground bool) {
	for {
		var info unix.Siginfo
		// WNOWAIT: an exit is only looked at, so that cmd.Wait reaps it.
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WSTOPPED|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || info.Code != cldStopped {
			return
		}
		for unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED, nil) == unix.EINTR { // consume the stop
		}
		if !foreground {
			continue
		}
		ReclaimTerminal(tty)
		suspend()
		setForeground(tty, pid)
		unix.Kill(-pid, unix.SIGCONT)
	}
}

// suspend stops secretenv's process group, as Ctrl-Z would have, and
// returns once it is continued. kill(2) can return before the stop takes
// hold of every thread, so the SIGCONT that ends it is waited for. With
// SIGTSTP ignored (a parent without job control asked for that) it returns
// at once.
func suspend() {
	if signal.Ignored(unix.SIGTSTP) {
		return
	}
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, unix.SIGCONT)
	defer signal.Stop(cont)
	unix.Kill(0, unix.SIGTSTP)
	<-cont
}

// withoutTTOU runs f with SIGTTOU blocked in the calling thread alone, so
// that f may take the terminal from the background. Blocking, unlike
// signal.Ignore, leaves the disposition alone: an ignored signal stays
// ignored after signal.Reset, and every editor started after would inherit
// SIG_IGN for it. The kernel looks at the calling thread's mask (Linux's
// tty_check_change), so no SIGTTOU is sent at all.
func withoutTTOU(f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	const bits = 8 * int(unsafe.Sizeof(set.Val[0]))
	n := int(unix.SIGTTOU) - 1
	set.Val[n/bits] |= 1 << (n % bits)
	if unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old) != nil {
		f()
		return
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	f()
}
