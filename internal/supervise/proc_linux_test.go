package supervise

import (
	"os/exec"
	"testing"
	"time"
)

// TestEndDescendants starts a child that starts a grandchild, and checks
// that EndDescendants kills both.
func TestEndDescendants(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 300 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	if n == 0 {
		t.Fatal("no grandchild pid")
	}
	if got := childrenOf(cmd.Process.Pid); len(got) != 1 {
		t.Fatalf("childrenOf(sh) = %v, want the sleep", got)
	}
	EndDescendants()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child was not killed")
	}
}
