//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package supervise

import (
	"os"
	"os/signal"
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
// Linux, is not offered here, and an ignored SIGTTOU stays ignored after
// signal.Reset, for every editor started later too.
func withoutTTOU(f func()) {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	f()
}
