//go:build unix

package supervise

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// This file is about the terminal: whether stdin is one (questions are
// asked only then), and handing it to the editor and back, as a shell hands
// it to a job.

// IsTerminal reports whether r is a terminal.
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), ioctlReadTermios)
	return err == nil
}

// ForegroundTerminal returns stdin's descriptor when stdin is a terminal
// whose foreground process group is secretenv's: only then may the editor
// be given the terminal (a background secretenv must not take it).
func ForegroundTerminal(stdin io.Reader) (int, bool) {
	f, ok := stdin.(*os.File)
	if !ok || !IsTerminal(f) {
		return 0, false
	}
	fd := int(f.Fd())
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return fd, err == nil && pgrp == unix.Getpgrp()
}

// ReclaimTerminal makes secretenv's process group the terminal's foreground
// group again once the editor has exited or stopped.
func ReclaimTerminal(fd int) {
	setForeground(fd, unix.Getpgrp())
}

// setForeground makes pgrp the terminal's foreground group. A background
// group that does so gets SIGTTOU, which would stop secretenv, unless the
// calling thread blocks or ignores it (tcsetpgrp(3)); withoutTTOU says how.
func setForeground(fd, pgrp int) {
	withoutTTOU(func() { unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, pgrp) })
}
