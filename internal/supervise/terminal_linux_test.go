package supervise

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestForegroundLeavesTTOUAlone: taking the terminal back after an editor
// must not leave SIGTTOU ignored in secretenv, or the next editor it starts
// (edit opens it again after a mistake) inherits SIG_IGN for it. The child's
// /proc/self/status says what it inherited.
func TestForegroundLeavesTTOUAlone(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	setForeground(int(devnull.Fd()), unix.Getpgrp()) // not a terminal: the ioctl fails, the guard still runs
	out, err := exec.Command("sh", "-c", "grep '^SigIgn:' /proc/self/status").Output()
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimSpace(strings.TrimPrefix(string(out), "SigIgn:"))
	mask, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("SigIgn %q: %v", hex, err)
	}
	if mask&(1<<(unix.SIGTTOU-1)) != 0 {
		t.Errorf("a child started after setForeground ignores SIGTTOU (SigIgn %s)", hex)
	}
}
