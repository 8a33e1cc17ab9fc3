// Package valuefile writes a secret's value to a file the way a secret
// should be written: owner-only, atomically, and never through a link.
package valuefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"
)

// beforeRename runs between the check of PATH and the rename into place;
// tests use it to plant a symbolic link in that window.
var beforeRename = func() {}

// Write makes path hold exactly value, byte for byte, as a regular file
// with mode 0600 (whatever the umask) owned by the calling process's
// effective user.
//
// What it guarantees:
//   - Atomic: the value goes to a new temporary file in path's directory,
//     is fsynced, and is renamed over path; a reader sees the old file or
//     the new one, never part of either, and the old file's inode is never
//     written to. The directory is fsynced after the rename.
//   - Never through a link: the temporary is created with O_EXCL and
//     O_NOFOLLOW, and rename replaces a directory entry without following
//     it, so a symbolic link planted at path at any moment is replaced, not
//     written through. A symbolic link already at path, a directory, or any
//     other non-regular file there is refused.
//   - path's directory must exist; Write never creates directories. The
//     directory part is resolved by the kernel as written (a link among the
//     directories is followed); only the last element is checked.
//   - On any failure the temporary is removed and path is as it was, and
//     the error names path (the caller adds which variable) but never the
//     value.
func Write(path string, value []byte) error {
	dir, name, dirfd, err := openDir(path)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)

	tmp, fd, err := createTemp(dirfd)
	switch {
	case errors.Is(err, unix.EROFS):
		return fmt.Errorf("%s: directory %s is on a read-only file system", path, dir)
	case err != nil:
		return fmt.Errorf("%s: create a temporary file in %s: %w", path, dir, err)
	}
	if err := fill(fd, value); err != nil {
		unix.Close(fd)
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("%s: write a temporary file in %s: %w", path, dir, err)
	}
	if err := unix.Close(fd); err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("%s: close a temporary file in %s: %w", path, dir, err)
	}
	if err := checkTarget(dirfd, name); err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("%s: %w", path, err)
	}
	beforeRename()
	if err := unix.Renameat(dirfd, tmp, dirfd, name); err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("%s: rename the temporary file into place: %w", path, err)
	}
	// Without this the rename may not survive a crash, and the app could
	// come back to the old value or none.
	if err := unix.Fsync(dirfd); err != nil {
		return fmt.Errorf("%s: written, but fsync of directory %s failed: %w", path, dir, err)
	}
	return nil
}

// Check reports, without writing anything, the errors Write would meet
// before it writes: a path that names no file, a missing directory, or a
// link, directory or other non-regular file at path. A directory that
// cannot be written (read-only, full) shows only when Write writes.
func Check(path string) error {
	_, name, dirfd, err := openDir(path)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	if err := checkTarget(dirfd, name); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// openDir opens path's directory, which must exist; errors name path.
func openDir(path string) (dir, name string, dirfd int, err error) {
	dir, name, err = split(path)
	if err != nil {
		return "", "", -1, fmt.Errorf("%s: %s", path, err)
	}
	dirfd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return "", "", -1, fmt.Errorf("%s: directory %s does not exist; create it first (secretenv never creates directories)", path, dir)
	case errors.Is(err, unix.ENOTDIR):
		return "", "", -1, fmt.Errorf("%s: %s is not a directory", path, dir)
	case err != nil:
		return "", "", -1, fmt.Errorf("%s: open directory %s: %w", path, dir, err)
	}
	return dir, name, dirfd, nil
}

// split cuts path into the directory to open and the last element, keeping
// the directory as written so that the kernel resolves it ("a/../b" is not
// "b" when a is a link).
func split(path string) (dir, name string, err error) {
	if path == "" {
		return "", "", errors.New("empty path; give the file to write")
	}
	if strings.IndexByte(path, 0) >= 0 {
		return "", "", errors.New("path holds a NUL byte")
	}
	dir, name = ".", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, name = path[:i], path[i+1:]
		if i == 0 {
			dir = "/"
		}
	}
	if name == "" || name == "." || name == ".." {
		return "", "", errors.New("names a directory; give a file path")
	}
	return dir, name, nil
}

// createTemp creates an empty file with mode 0600 and a random name in the
// directory dirfd. The name is short so that it fits NAME_MAX (255 bytes)
// whatever the target's name; it starts with "." so ls hides it.
func createTemp(dirfd int) (name string, fd int, err error) {
	for range 16 {
		var b [8]byte
		rand.Read(b[:])
		name = ".secretenv-" + hex.EncodeToString(b[:]) + ".tmp"
		fd, err = unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return "", -1, err
		}
		// The umask may have taken bits away from 0600 (umask 0277 gives
		// 0400, which the owner could not replace later); it never adds any.
		if err := unix.Fchmod(fd, 0o600); err != nil {
			unix.Close(fd)
			unix.Unlinkat(dirfd, name, 0)
			return "", -1, err
		}
		return name, fd, nil
	}
	return "", -1, err
}

// fill writes all of value to fd and fsyncs it, so that the rename never
// puts a file in place whose data is still only in the page cache.
func fill(fd int, value []byte) error {
	for len(value) > 0 {
		n, err := unix.Write(fd, value)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		value = value[n:]
	}
	return unix.Fsync(fd)
}

// checkTarget refuses to replace anything at name but a regular file.
// A link is refused even though rename would replace it safely: whoever
// put it there meant the value to go somewhere else, and that is a
// configuration to fix, not to guess at.
func checkTarget(dirfd int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the existing file: %w", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFLNK:
		return errors.New("is a symbolic link; secretenv does not write through links, give the link's target or remove the link")
	case unix.S_IFDIR:
		return errors.New("is a directory; give a file path")
	default:
		return errors.New("is not a regular file (a device, FIFO or socket); give a file path")
	}
}
