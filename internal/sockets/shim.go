//go:build unix

package sockets

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// shimVar marks a start of secretenv's own binary as the shim, and carries
// what the shim needs: "FD,FD,...;PATH", the descriptors holding the sockets
// in order and the command to execute. Only Set.Command and Set.Exec set it,
// the shim removes it before it executes the command, and StripEnv removes
// an inherited one, so a user's command never sees it. A process that finds
// it set with descriptors that are not listening sockets fails rather than
// execute anything.
const shimVar = "SECRETENV_INTERNAL_LISTEN_SHIM"

// Why a shim: LISTEN_PID must be the command's own pid, and libraries check
// it (sd_listen_fds(3) ignores the sockets otherwise). Go's os/exec and
// syscall.ForkExec run no code of ours between fork and execve, and a pid is
// only known after the fork, so the child starts secretenv's own binary
// again (/proc/self/exe, the same file even if it was replaced on disk); that
// process knows its pid, sets LISTEN_PID and executes the command, which
// keeps the pid. For exec mode the shim also moves the sockets to 3, 4, ...:
// doing that in secretenv itself would close whatever the Go runtime keeps
// there (its epoll and eventfd descriptors) while its other threads still
// use them, and the runtime aborts on a failed epoll_wait.

// ShimRequested reports whether this process was started as the shim. It
// costs one environment lookup; the command's main calls it first thing.
func ShimRequested() bool {
	_, ok := os.LookupEnv(shimVar)
	return ok
}

// ExecError is the failure of execve for the command's file: the caller maps
// it to exit status 126 or 127 as for any exec.
type ExecError struct {
	Path string
	Err  error
}

func (e *ExecError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ExecError) Unwrap() error { return e.Err }

// RunShim acts as the shim: it puts the sockets on descriptors 3, 4, ...,
// sets LISTEN_PID to this process's pid and executes the command. It returns
// only on failure: an *ExecError when execve of the command failed, another
// error when the marker or the descriptors are wrong.
func RunShim() error {
	value, _ := os.LookupEnv(shimVar)
	fds, path, err := parseShimVar(value)
	if err != nil {
		return err
	}
	if err := moveToFirst(fds); err != nil {
		return err
	}
	env := stripNames(os.Environ(), "LISTEN_PID", shimVar)
	env = append(env, "LISTEN_PID="+strconv.Itoa(os.Getpid()))
	return &ExecError{path, unix.Exec(path, os.Args, env)}
}

func parseShimVar(value string) ([]int, string, error) {
	list, path, ok := strings.Cut(value, ";")
	bad := fmt.Errorf("%s is secretenv's internal variable and is set wrongly; unset it", shimVar)
	if !ok || path == "" || list == "" {
		return nil, "", bad
	}
	var fds []int
	for f := range strings.SplitSeq(list, ",") {
		fd, err := strconv.Atoi(f)
		if err != nil || fd < 0 {
			return nil, "", bad
		}
		// Only a listening socket: a marker set by accident must not
		// lead to anything being executed.
		if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || v != 1 {
			return nil, "", fmt.Errorf("%s is secretenv's internal variable, but descriptor %d is not a listening socket; unset it", shimVar, fd)
		}
		fds = append(fds, fd)
	}
	return fds, path, nil
}

// moveToFirst puts fds[i] on descriptor 3+i with close-on-exec cleared and
// closes the originals elsewhere. A target descriptor already open in this
// process with close-on-exec set was opened by this very process image (a
// descriptor inherited through execve has it clear, else it would not have
// been inherited): the Go runtime's, which must not be closed under it, so
// that is an error rather than a crash. Inherited descriptors in the way are
// replaced, as systemd does.
func moveToFirst(fds []int) error {
	n := len(fds)
	inPlace := true
	for i, fd := range fds {
		target := FirstFD + i
		if fd != target {
			inPlace = false
		}
		if slices.Contains(fds, target) {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(target), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC != 0 {
			return fmt.Errorf("cannot pass the sockets from descriptor %d: secretenv itself uses it", target)
		}
	}
	if !inPlace {
		// Copy them above the targets first, so that placing one never
		// overwrites another that is still to be moved.
		tmp := make([]int, n)
		for i, fd := range fds {
			t, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, FirstFD+n)
			if err != nil {
				return fmt.Errorf("passing the sockets: %w", err)
			}
			tmp[i] = t
		}
		for _, fd := range fds {
			if fd >= FirstFD+n {
				unix.Close(fd)
			}
		}
		for i, t := range tmp {
			if err := unix.Dup2(t, FirstFD+i); err != nil {
				return fmt.Errorf("passing the sockets: %w", err)
			}
			unix.Close(t)
		}
	}
	for i := range fds {
		if _, err := unix.FcntlInt(uintptr(FirstFD+i), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("passing the sockets: %w", err)
		}
	}
	return nil
}

// Command returns the command for path with arguments argv (argv[0]
// included) and environment env, started through the shim so that it finds
// the sockets on 3, 4, ... and its own pid in LISTEN_PID, also when a
// supervisor starts it again. env should have gone through StripEnv (add
// NOTIFY_SOCKET after it). The caller sets the rest (Stdin, SysProcAttr) and
// starts it; the Cmd's process pid is the command's pid.
func (s *Set) Command(path string, argv, env []string) *exec.Cmd {
	list := make([]string, len(s.files))
	for i := range s.files {
		list[i] = strconv.Itoa(FirstFD + i) // where ExtraFiles puts them
	}
	return &exec.Cmd{
		Path:       selfExe(),
		Args:       argv,
		Env:        s.shimEnv(env, list, path),
		ExtraFiles: s.files,
	}
}

// Exec replaces secretenv with the command for path, as execve does, with
// the sockets on 3, 4, ... and LISTEN_PID its pid, which exec keeps. It goes
// through the shim (see above); errors executing path itself are reported
// by the shim's RunShim. Exec returns only if the shim could not be
// executed, with the sockets as they were.
func (s *Set) Exec(path string, argv, env []string) error {
	list := make([]string, len(s.files))
	var restore []func()
	undo := func() {
		for _, f := range restore {
			f()
		}
	}
	for i, f := range s.files {
		fd := f.Fd()
		list[i] = strconv.FormatUint(uint64(fd), 10)
		if err := clearCloexec(int(fd), &restore); err != nil {
			undo()
			return fmt.Errorf("passing the sockets: %w", err)
		}
	}
	if err := holdTargets(len(s.files), int(s.files[0].Fd()), &restore); err != nil {
		undo()
		return fmt.Errorf("passing the sockets: %w", err)
	}
	self := selfExe()
	err := unix.Exec(self, argv, s.shimEnv(env, list, path))
	undo()
	return &ExecError{self, err}
}

// holdTargets makes descriptors 3..3+n-1 survive execve, so that the shim's
// own runtime, which opens files as it starts (Go 1.25 keeps the cgroup's
// cpu.max open), finds them taken and opens its files above them; the shim
// then replaces them with the sockets. An open descriptor gets its
// close-on-exec flag cleared (the flag only matters at execve; the file is
// untouched), a free one is filled with a duplicate of a socket.
func holdTargets(n, fill int, restore *[]func()) error {
	for t := FirstFD; t < FirstFD+n; t++ {
		for {
			flags, err := unix.FcntlInt(uintptr(t), unix.F_GETFD, 0)
			if err == nil {
				if flags&unix.FD_CLOEXEC != 0 {
					if err := clearCloexec(t, restore); err != nil {
						return err
					}
				}
				break
			}
			got, err := unix.FcntlInt(uintptr(fill), unix.F_DUPFD, t)
			if err != nil {
				return err
			}
			if got == t {
				*restore = append(*restore, func() { unix.Close(t) })
				break
			}
			unix.Close(got) // t was taken meanwhile: look at it again
		}
	}
	return nil
}

func clearCloexec(fd int, restore *[]func()) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		return err
	}
	*restore = append(*restore, func() { unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC) })
	return nil
}

func (s *Set) shimEnv(env []string, fds []string, path string) []string {
	env = stripNames(env, "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", shimVar)
	env = append(env, s.envNoPID()...)
	return append(env, shimVar+"="+strings.Join(fds, ",")+";"+path)
}

// selfExe is secretenv's own binary. /proc/self/exe still opens it after
// an upgrade replaced the file on disk.
func selfExe() string {
	if runtime.GOOS == "linux" {
		return "/proc/self/exe"
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}

func stripNames(env []string, names ...string) []string {
	out := make([]string, 0, len(env)+4)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}
