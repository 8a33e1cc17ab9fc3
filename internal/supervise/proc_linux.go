package supervise

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// This file reads the process tree from /proc: which processes are
// secretenv's children and descendants, and which of its children are
// zombies in which process group.

// procEntry is what /proc/PID/stat says of a process that matters here.
type procEntry struct {
	pid, ppid, pgrp int
	zombie          bool
}

// readStat parses /proc/PID/stat. The command name, field 2, is in
// parentheses and may itself hold spaces and parentheses, so the fields are
// counted from the last ')'.
func readStat(pid int) (procEntry, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procEntry{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procEntry{}, false
	}
	f := bytes.Fields(b[i+1:]) // state ppid pgrp ...
	if len(f) < 3 {
		return procEntry{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgrp, err2 := strconv.Atoi(string(f[2]))
	if err1 != nil || err2 != nil {
		return procEntry{}, false
	}
	return procEntry{pid: pid, ppid: ppid, pgrp: pgrp, zombie: string(f[0]) == "Z"}, true
}

// childrenOf lists pid's children. /proc/PID/task/TID/children (Linux 4.2,
// CONFIG_PROC_CHILDREN) lists each thread's, which is cheap; without it,
// every process in /proc is read for its parent.
func childrenOf(pid int) []int {
	base := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(base, task.Name(), "children"))
		if err != nil {
			return scanChildren(pid)
		}
		for _, f := range bytes.Fields(b) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// scanChildren is childrenOf the slow way, for kernels without the
// children files.
func scanChildren(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readStat(n); ok && p.ppid == pid {
			out = append(out, n)
		}
	}
	return out
}

// zombieChildren lists secretenv's children that have exited and wait to be
// reaped, with their process groups.
func zombieChildren() []procEntry {
	var out []procEntry
	for _, pid := range childrenOf(os.Getpid()) {
		if p, ok := readStat(pid); ok && p.zombie {
			out = append(out, p)
		}
	}
	return out
}

// EndDescendants kills every process secretenv started that still runs:
// its children and theirs, such as a credential_process program the AWS SDK
// started and left hanging past the deadline, with whatever that program
// started in turn. It is called as secretenv exits (not on exec, which
// hands its children to the command), so that nothing it started outlives
// it. Each process found is stopped first, since a stopped process cannot
// fork: the walk is repeated until it finds no new one, then all are
// killed.
func EndDescendants() {
	// One syscall in the common case: waitid fails with ECHILD when there
	// is no child at all, and WNOWAIT leaves a zombie to whoever waits
	// for it. Reading /proc (a scan of every process where the kernel
	// lacks the children files) would cost 1.8M instructions per exit.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); errors.Is(err, unix.ECHILD) {
		return
	}
	self := os.Getpid()
	stopped := map[int]bool{}
	for {
		found := false
		queue := []int{self}
		for len(queue) > 0 {
			pid := queue[0]
			queue = queue[1:]
			for _, c := range childrenOf(pid) {
				if !stopped[c] {
					unix.Kill(c, unix.SIGSTOP)
					stopped[c], found = true, true
				}
				queue = append(queue, c)
			}
		}
		if !found {
			break
		}
	}
	for pid := range stopped {
		unix.Kill(pid, unix.SIGKILL)
	}
}
