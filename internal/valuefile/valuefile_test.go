package valuefile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// canary is the value every failure case tries to write: no error may
// hold it.
const canary = "CANARY-valuefile-s3cr3t\n"

const pem = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq7BFUpkGp3+LQmlQ\nYx2eqzDV+xeG8kx/sQFV18S5JhzGeIJNA72wSeukEPojtqUyX2J0CciPBh7eqclQ\n-----END PRIVATE KEY-----\n"

// entries lists dir's names, sorted, so a test can see that no temporary
// file was left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestWriteExactBytesAndMode(t *testing.T) {
	tests := []struct {
		name  string
		umask int
		value string
	}{
		{name: "pem with trailing newline, umask 022", umask: 0o022, value: pem},
		{name: "umask 0 adds no bits", umask: 0, value: pem},
		{name: "umask 0277 takes none away", umask: 0o277, value: pem},
		{name: "empty value", umask: 0o022, value: ""},
		{name: "binary with NUL and CRLF", umask: 0o077, value: "\x00\xff\r\n\x00"},
		{name: "one MiB", umask: 0o022, value: strings.Repeat("0123456789abcdef", 1<<16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The umask is the process's: these cases do not run in
			// parallel.
			old := unix.Umask(tc.umask)
			t.Cleanup(func() { unix.Umask(old) })
			dir := t.TempDir()
			path := filepath.Join(dir, "tls.key")
			if err := Write(path, []byte(tc.value)); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tc.value {
				t.Errorf("file holds %d bytes %q..., want %d bytes", len(got), got[:min(len(got), 16)], len(tc.value))
			}
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != 0o600 {
				t.Errorf("mode = %v, want -rw-------", fi.Mode())
			}
			if got := entries(t, dir); !slices.Equal(got, []string{"tls.key"}) {
				t.Errorf("directory holds %q, want only tls.key", got)
			}
		})
	}
}

// TestWriteReplacesAtomically: the old file is replaced by a new inode, and
// a reader that had the old one open still reads the old content whole:
// Write never writes into an existing file.
func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	const oldValue = "old value, longer than the new one\n"
	if err := os.WriteFile(path, []byte(oldValue), 0o644); err != nil {
		t.Fatal(err)
	}
	before := inode(t, path)
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	if err := Write(path, []byte(pem)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != pem {
		t.Errorf("new content = %q, want the PEM", got)
	}
	if inode(t, path) == before {
		t.Error("inode unchanged: the file was written in place, not replaced")
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("mode = %v, want -rw------- (not the old file's 0644)", fi.Mode())
	}
	old := new(bytes.Buffer)
	if _, err := old.ReadFrom(reader); err != nil {
		t.Fatal(err)
	}
	if old.String() != oldValue {
		t.Errorf("the old file now reads %q, want its old content whole", old)
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"key"}) {
		t.Errorf("directory holds %q, want only key", got)
	}
}

func TestWriteRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := Write("key", []byte(pem)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "key")); got != pem {
		t.Errorf("content = %q", got)
	}
}

// TestWriteRefused covers every refusal: the error names the path and what
// is wrong, never the value; what was at the path is untouched; and no
// temporary file is left in the directory.
func TestWriteRefused(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares dir and returns the path to write.
		setup func(t *testing.T, dir string) string
		want  string // a fragment of the error
	}{
		{
			name: "symlink to a file",
			setup: func(t *testing.T, dir string) string {
				mustWrite(t, filepath.Join(dir, "target"), "original\n")
				mustSymlink(t, "target", filepath.Join(dir, "link"))
				return filepath.Join(dir, "link")
			},
			want: "is a symbolic link",
		},
		{
			name: "dangling symlink",
			setup: func(t *testing.T, dir string) string {
				mustSymlink(t, "nowhere", filepath.Join(dir, "link"))
				return filepath.Join(dir, "link")
			},
			want: "is a symbolic link",
		},
		{
			name: "symlink to a directory",
			setup: func(t *testing.T, dir string) string {
				mustMkdir(t, filepath.Join(dir, "sub"))
				mustSymlink(t, "sub", filepath.Join(dir, "link"))
				return filepath.Join(dir, "link")
			},
			want: "is a symbolic link",
		},
		{
			name: "path is a directory",
			setup: func(t *testing.T, dir string) string {
				mustMkdir(t, filepath.Join(dir, "sub"))
				mustWrite(t, filepath.Join(dir, "sub", "inside"), "original\n")
				return filepath.Join(dir, "sub")
			},
			want: "is a directory",
		},
		{
			name: "path is an empty directory",
			setup: func(t *testing.T, dir string) string {
				mustMkdir(t, filepath.Join(dir, "sub"))
				return filepath.Join(dir, "sub")
			},
			want: "is a directory",
		},
		{
			name: "path is a fifo",
			setup: func(t *testing.T, dir string) string {
				if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(dir, "fifo")
			},
			want: "is not a regular file",
		},
		{
			name: "missing directory",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "missing", "key")
			},
			want: "does not exist",
		},
		{
			name: "missing directories",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "a", "b", "key")
			},
			want: "does not exist",
		},
		{
			name: "directory is a file",
			setup: func(t *testing.T, dir string) string {
				mustWrite(t, filepath.Join(dir, "file"), "original\n")
				return filepath.Join(dir, "file", "key")
			},
			want: "is not a directory",
		},
		{
			name:  "trailing slash",
			setup: func(t *testing.T, dir string) string { return dir + "/key/" },
			want:  "names a directory",
		},
		{
			name:  "dot dot",
			setup: func(t *testing.T, dir string) string { return dir + "/.." },
			want:  "names a directory",
		},
		{
			name:  "empty path",
			setup: func(t *testing.T, dir string) string { return "" },
			want:  "empty path",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before := snapshot(t, dir)
			err := Write(path, []byte(canary))
			if err == nil {
				t.Fatalf("Write(%q) succeeded, want an error", path)
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %q does not start with the path", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error holds the value: %q", err)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("directory changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestWriteSymlinkRace plants a symbolic link at the path after Write has
// checked it and before the rename: the rename replaces the link itself,
// so the link's target is never written.
func TestWriteSymlinkRace(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	mustWrite(t, target, "original\n")
	path := filepath.Join(dir, "key")
	beforeRename = func() { mustSymlink(t, "target", path) }
	t.Cleanup(func() { beforeRename = func() {} })

	if err := Write(path, []byte(pem)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, target); got != "original\n" {
		t.Errorf("the link's target now holds %q: written through the link", got)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || readFile(t, path) != pem {
		t.Errorf("path is %v, want a regular file holding the value", fi.Mode())
	}
}

// TestWriteFailingFileSystem covers the failures root cannot be kept from
// by permissions (root bypasses the mode bits, so a chmod 0555 directory
// proves nothing here): a read-only mount and a full one. It runs itself
// again under unshare -m, where it may mount a tmpfs without touching the
// host's mounts; the namespace and its mounts end with that process.
func TestWriteFailingFileSystem(t *testing.T) {
	if os.Getenv("VALUEFILE_IN_MOUNT_NS") == "" {
		if err := exec.Command("unshare", "-m", "--propagation", "private", "true").Run(); err != nil {
			t.Skipf("needs a mount namespace (unshare -m, as root): %v", err)
		}
		cmd := exec.Command("unshare", "-m", "--propagation", "private", os.Args[0],
			"-test.run=^TestWriteFailingFileSystem$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "VALUEFILE_IN_MOUNT_NS=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestWriteFailingFileSystem") {
			t.Fatalf("in a mount namespace: %v\n%s", err, out)
		}
		return
	}

	tests := []struct {
		name  string
		opts  string // tmpfs mount options
		ro    bool   // remount read-only after setup
		value string
		want  string
	}{
		{name: "read-only file system", opts: "size=1m", ro: true, value: canary, want: "read-only file system"},
		{name: "file system full", opts: "size=64k", value: strings.Repeat(canary, 1<<16), want: "no space left on device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := unix.Mount("tmpfs", dir, "tmpfs", 0, tc.opts); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
			path := filepath.Join(dir, "key")
			mustWrite(t, path, "original\n")
			if tc.ro {
				if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, []byte(tc.value))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("Write error = %v, want %q naming the path", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error holds the value: %q", err)
			}
			if got := readFile(t, path); got != "original\n" {
				t.Errorf("the file now holds %d bytes, want the original", len(got))
			}
			if got := entries(t, dir); !slices.Equal(got, []string{"key"}) {
				t.Errorf("directory holds %q, want only key", got)
			}
		})
	}
}

// snapshot describes every entry under dir (name, type, link target,
// content) so a test can see that a refused Write changed nothing and left
// no temporary file.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + d.Type().String())
		switch {
		case d.Type()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			b.WriteString(" -> " + l)
		case d.Type().IsRegular():
			b.WriteString(" " + readFile(t, p))
		}
		b.WriteString("; ")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// FuzzWrite checks that any value, and any file name, comes back byte for
// byte or is refused with no trace: a name that Write accepts holds exactly
// the value with mode 0600, and the directory holds nothing else.
func FuzzWrite(f *testing.F) {
	f.Add("key", []byte(pem))
	f.Add("..", []byte{})
	f.Add(".secretenv-0000000000000000.tmp", []byte("\x00"))
	f.Add("", []byte("x"))
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, name string, value []byte) {
		if strings.Contains(name, "/") {
			// One element only: "../../etc/passwd" must stay out of
			// reach of a fuzzer running as root.
			t.Skip()
		}
		dir := filepath.Join(root, "d")
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		mustMkdir(t, dir)
		path := dir + "/" + name
		if err := Write(path, value); err != nil {
			if len(value) >= 8 && !strings.Contains(path, string(value)) && strings.Contains(err.Error(), string(value)) {
				t.Fatalf("error holds the value: %q", err)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Fatalf("refused, but the directory holds %q", got)
			}
			return
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, value) {
			t.Fatalf("file holds %q, want %q", got, value)
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode() != 0o600 {
			t.Fatalf("mode %v, %v; want -rw-------", fi.Mode(), err)
		}
		if got := entries(t, dir); !slices.Equal(got, []string{name}) {
			t.Fatalf("directory holds %q, want only %q", got, name)
		}
	})
}
