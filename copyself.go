package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// copySelfCmd writes DIR/secretenv, a copy of the running binary. It exists
// for images with no shell and no cp (distroless, scratch, secretenv's own
// image): a Kubernetes init container runs `/secretenv copy-self /shared`
// to put secretenv in an emptyDir the app container then runs it from. It
// reads no secret and needs neither SECRET_ID nor AWS.
var copySelfCmd = &command{
	name:  "copy-self",
	usage: "copy-self DIR",
	help: `Write DIR/secretenv, a copy of this binary (mode 0755, written whole or
not at all), for a Kubernetes init container in an image without a shell
or cp. Needs no secret and no AWS.

Flags: none of its own.

Examples:
  /secretenv copy-self /shared     (the init container's command)
`,
	check: func(o *options, args []string) error {
		if len(args) != 1 {
			return usageError("copy-self takes one directory, got %d arguments", len(args))
		}
		return nil
	},
	run: func(ctx context.Context, inv *invocation) error {
		return copySelf(inv.args[0])
	},
}

// copySelfName is the file copy-self writes in its directory.
const copySelfName = "secretenv"

// copySelf writes dir/secretenv with the running binary's bytes, mode 0755,
// atomically: a temporary file in dir, synced, then renamed over the name,
// so that a container starting meanwhile (or after a crash) sees either no
// file or the whole binary, never a short one that fails with ENOEXEC.
func copySelf(dir string) error {
	// /proc/self/exe is the binary this process runs even if its path has
	// since been replaced or removed; os.Executable is the fallback where
	// there is no /proc (darwin).
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		exe, xerr := os.Executable()
		if xerr != nil {
			return fmt.Errorf("copy-self: cannot find the running binary: %w", xerr)
		}
		if src, err = os.Open(exe); err != nil {
			return fmt.Errorf("copy-self: cannot read the running binary: %w", err)
		}
	}
	defer src.Close()

	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("copy-self: %s: does not exist; create it or mount a volume there (an emptyDir)", dir)
	case err != nil:
		return fmt.Errorf("copy-self: %s: %v", dir, cause(err))
	case !fi.IsDir():
		return fmt.Errorf("copy-self: %s: is not a directory; give the directory to copy secretenv into", dir)
	}

	tmp, err := os.CreateTemp(dir, ".secretenv-*")
	if err != nil {
		return fmt.Errorf("copy-self: %s: cannot write there: %v; mount it writable", dir, cause(err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, src); err != nil {
		return fmt.Errorf("copy-self: %s: writing the copy: %v", dir, cause(err))
	}
	// CreateTemp makes the file 0600; the app container may run as another
	// user, who needs to read and execute it.
	if err := tmp.Chmod(0o755); err != nil {
		return fmt.Errorf("copy-self: %s: %v", dir, cause(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("copy-self: %s: writing the copy: %v", dir, cause(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("copy-self: %s: writing the copy: %v", dir, cause(err))
	}
	dst := filepath.Join(dir, copySelfName)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("copy-self: %s: cannot create %s: %v", dir, copySelfName, cause(err))
	}
	done = true
	// The rename is durable only once the directory itself is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// cause is the system's reason under a path error ("read-only file
// system"), without the temporary file's name the user never chose.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
