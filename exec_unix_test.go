//go:build unix

package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// elfHeader is the start of an ELF64 executable's header for machine, in
// byte order order (1 little-endian, 2 big-endian).
func elfHeader(machine uint16, order byte) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, order, 1 // ELFCLASS64, data, EV_CURRENT
	bo := binary.ByteOrder(binary.LittleEndian)
	if order == 2 {
		bo = binary.BigEndian
	}
	bo.PutUint16(h[16:], 2) // ET_EXEC
	bo.PutUint16(h[18:], machine)
	return h
}

func TestDescribeNoExec(t *testing.T) {
	t.Parallel()
	here := goarchMachines[runtime.GOARCH]
	other, otherName := uint16(183), "aarch64"
	if here == 183 {
		other, otherName = 62, "x86_64"
	}
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"script without #!", []byte("echo hi\n"), "a script needs a #! line"},
		{"empty file", nil, "a script needs a #! line"},
		{"another architecture", elfHeader(other, 1), "an ELF binary for " + otherName + "; this machine is " + elfMachines[here]},
		{"big-endian", elfHeader(22, 2), "an ELF binary for s390x; this machine is"},
		{"unknown machine", elfHeader(9999, 1), "an ELF binary for ELF machine 9999"},
		{"this architecture, corrupt", elfHeader(here, 1), "an ELF binary for " + elfMachines[here] + ", this machine's architecture, that the kernel cannot load"},
		{"truncated header", []byte("\x7fELF\x02\x01"), "truncated or corrupt header"},
		{"bad byte order", append(elfHeader(other, 1)[:5:5], make([]byte, 59)...), "truncated or corrupt header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "cmd")
			if err := os.WriteFile(file, tc.content, 0o755); err != nil {
				t.Fatal(err)
			}
			if got := describeNoExec(file); !strings.Contains(got, tc.want) {
				t.Errorf("describeNoExec = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}
