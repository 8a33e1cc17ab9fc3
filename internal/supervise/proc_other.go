//go:build unix && !linux

package supervise

// procEntry is a child process as /proc would describe it; outside Linux
// there is no /proc to read.
type procEntry struct {
	pid, ppid, pgrp int
	zombie          bool
}

// zombieChildren finds none outside Linux: orphans are then reaped only
// between polls, by the wait4(-1) sweep.
func zombieChildren() []procEntry { return nil }

// EndDescendants does nothing outside Linux, which alone lists a process's
// children cheaply.
func EndDescendants() {}
