package integration

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestExecFormat proves that ENOEXEC is explained by what the file is: a
// real binary marked for another architecture, or an ELF file the kernel
// cannot load, is not blamed on a missing #! line.
func TestExecFormat(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
	real, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if len(real) < 64 || string(real[:4]) != "\x7fELF" || real[5] != 1 || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the test knows little-endian x86_64 and aarch64 ELF binaries")
	}
	other, otherName, hereName := uint16(183), "aarch64", "x86_64" // EM_AARCH64 on EM_X86_64
	if runtime.GOARCH == "arm64" {
		other, otherName, hereName = 62, "x86_64", "aarch64"
	}
	dir := t.TempDir()
	// /bin/true with e_machine changed: a whole binary of another
	// architecture as far as the kernel can tell.
	foreign := append([]byte(nil), real...)
	binary.LittleEndian.PutUint16(foreign[18:], other)
	// Only the first 64 bytes: no program headers to load.
	corrupt := append([]byte(nil), real[:64]...)
	binary.LittleEndian.PutUint16(corrupt[54:], 0) // e_phentsize
	for _, tc := range []struct {
		name    string
		content []byte
		want    []string
	}{
		{"binary for another architecture", foreign, []string{"an ELF binary for " + otherName + "; this machine is " + hereName}},
		{"corrupt binary", corrupt, []string{"an ELF binary for " + hereName + ", this machine's architecture, that the kernel cannot load", "corrupt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, tc.name)
			if err := os.WriteFile(file, tc.content, 0o755); err != nil {
				t.Fatal(err)
			}
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", file)
			if res.Code != 126 {
				t.Errorf("exit %d, want 126; stderr %q", res.Code, res.Stderr)
			}
			checkOneLine(t, res.Stderr, append([]string{"'" + file + "': "}, tc.want...)...)
		})
	}
}

// foreignShell makes PATH's sh a copy of /bin/true marked for another
// architecture, so that the command secretenv runs fails with ENOEXEC.
func foreignShell(t *testing.T) string {
	real, err := os.ReadFile("/bin/true")
	if err != nil || len(real) < 64 || string(real[:4]) != "\x7fELF" || real[5] != 1 {
		t.Skip("/bin/true is not a little-endian ELF binary")
	}
	other := uint16(183)
	if runtime.GOARCH == "arm64" {
		other = 62
	}
	binary.LittleEndian.PutUint16(real[18:], other)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sh"), real, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
