//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package supervise

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ioctlReadTermios reads a terminal's settings: it fails unless the
// descriptor is a terminal.
const ioctlReadTermios = unix.TIOCGETA

// WaitEditor returns at once: cmd.Wait waits for the editor. Ctrl-Z in
// the editor is handled on Linux only (terminal_linux.go).
func WaitEditor(pid, tty int, foreground bool) {}

// PollNowSignal is the signal that asks secretenv --watch to poll at once.
// The BSDs and macOS have no real-time signals; SIGINFO (^T, "status") is
// one that servers leave alone.
var PollNowSignal os.Signal = unix.SIGINFO

// withoutTTOU runs f with SIGTTOU ignored: blocking it per thread, as on
// Linux, is not offered here. Afterwards SIGTTOU is caught (and dropped),
// not reset: signal.Reset after signal.Ignore leaves it ignored, and every
// program started later would inherit SIG_IGN, while a caught signal is
// SIG_DFL again in a child. A SIGTTOU ignored when secretenv started stays
// ignored, for the command to inherit as with exec; the caller keeps
// programs from starting while f runs.
func withoutTTOU(f func()) {
	if ttouIgnoredAtStart() {
		f()
		return
	}
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Notify(ttouDropped, syscall.SIGTTOU)
	f()
}

var (
	ttouIgnoredAtStart = sync.OnceValue(func() bool { return signal.Ignored(syscall.SIGTTOU) })
	ttouDropped        = make(chan os.Signal, 1)
)
