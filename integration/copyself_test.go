package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runBare runs path with args in an empty environment (env -i): no PATH, no
// HOME, no AWS settings, as an init container in a distroless or scratch
// image that sets nothing.
func runBare(t *testing.T, path string, args ...string) result {
	t.Helper()
	return runProgram(t, "", []string{}, strings.NewReader(""), append([]string{path}, args...)...)
}

// TestCopySelf proves what a Kubernetes init container relies on: with no
// shell, no PATH and no AWS settings, copy-self writes an identical,
// executable secretenv into the shared directory, and that copy then works
// as the app container's entrypoint.
func TestCopySelf(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"an empty directory", func(t *testing.T, dir string) {}},
		{"over an older copy", func(t *testing.T, dir string) {
			writeScript(t, dir, "secretenv", "#!/bin/sh\necho old\n", 0o700)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.prepare(t, dir)
			res := runBare(t, bin, "copy-self", dir)
			if res.Code != 0 || res.Stdout != "" || res.Stderr != "" {
				t.Fatalf("copy-self: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
			}
			copied := filepath.Join(dir, "secretenv")
			got, err := os.ReadFile(copied)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the copy (%d bytes) differs from the binary (%d bytes)", len(got), len(want))
			}
			fi, err := os.Stat(copied)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != 0o755 {
				t.Errorf("the copy's mode is %v, want -rwxr-xr-x", fi.Mode())
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("the directory holds %d entries, want only secretenv (no temporary file left)", len(entries))
			}
		})
	}

	t.Run("the copy is the app container's entrypoint", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if res := runBare(t, bin, "copy-self", dir); res.Code != 0 {
			t.Fatalf("copy-self: exit %d, stderr %q", res.Code, res.Stderr)
		}
		name := secretName(t, "copy")
		createSecret(t, "us-east-1", name, `{"GREETING":"hello"}`)
		cmd := exec.Command(filepath.Join(dir, "secretenv"), "--", "/bin/sh", "-c", `echo "GREETING=$GREETING"`)
		cmd.Env = withEnv(baseEnv(t), "SECRET_ID="+name)
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != "GREETING=hello\n" {
			t.Errorf("the copy as entrypoint: %v, output %q", err, out)
		}
	})
}

// TestCopySelfFailures proves that a directory copy-self cannot write in
// fails with 125 and one line naming it. Tests run as root, for whom a
// mode-0555 directory is writable, so the read-only case mounts a read-only
// tmpfs in a mount namespace of its own (unshare), as a read-only volume is.
func TestCopySelfFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) (res result, dir string)
		want string
	}{
		{"a missing directory", func(t *testing.T) (result, string) {
			dir := filepath.Join(t.TempDir(), "shared")
			return runBare(t, bin, "copy-self", dir), dir
		}, "does not exist"},
		{"a file in place of the directory", func(t *testing.T) (result, string) {
			dir := writeScript(t, t.TempDir(), "shared", "not a directory\n", 0o644)
			return runBare(t, bin, "copy-self", dir), dir
		}, "is not a directory"},
		{"a read-only directory", func(t *testing.T) (result, string) {
			dir := t.TempDir()
			cmd := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
				`mount -t tmpfs -o ro tmpfs "$1" || exit 99; exec env -i "$2" copy-self "$1"`, "sh", dir, bin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("unshare: %v", err)
			}
			if ee != nil && ee.ExitCode() == 99 {
				t.Fatalf("this test needs a mount namespace (root, unshare -m): %s", stderr.String())
			}
			res := result{Stdout: stdout.String(), Stderr: stderr.String()}
			if ee != nil {
				res.Code = ee.ExitCode()
			}
			return res, dir
		}, "read-only file system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, dir := tc.run(t)
			if res.Code != 125 {
				t.Errorf("exit %d, want 125 (stderr %q)", res.Code, res.Stderr)
			}
			checkOneLine(t, res.Stderr, "copy-self: "+dir+": ", tc.want)
			if strings.Contains(res.Stderr, ".secretenv-") {
				t.Errorf("stderr names the temporary file: %q", res.Stderr)
			}
		})
	}
}
