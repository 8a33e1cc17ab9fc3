//go:build unix

package supervise

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"SIGTERM", syscall.SIGTERM, true},
		{"TERM", syscall.SIGTERM, true},
		{"quit", syscall.SIGQUIT, true},
		{"SigWinch", syscall.SIGWINCH, true},
		{"15", syscall.SIGTERM, true},
		{"64", 64, true},
		{"65", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{"SIG", 0, false},
		{"TERMINATE", 0, false},
	} {
		got, ok := ParseSignal(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseSignal(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
