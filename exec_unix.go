//go:build unix

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Exit statuses, as GNU env(1) and docker run use them.
const (
	exitFailure       = 125 // secretenv itself failed; the command never ran
	exitNotExecutable = 126 // the command was found but could not be executed
	exitNotFound      = 127 // the command was not found
)

// defaultPath is searched when the environment has no PATH, as execvp(3)
// does in glibc.
const defaultPath = "/bin:/usr/bin"

// maxArgStrlen is Linux's MAX_ARG_STRLEN: one argument or NAME=value entry,
// with its NUL, may be at most 32 pages (131,072 bytes) or execve fails with
// E2BIG.
const maxArgStrlen = 32 * 4096

// exitError carries the exit status for an error; any other error is
// secretenv's own failure (125). A nil err is a status without a message,
// such as diff's 1 for "different", which its output already says.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// signalError is the cancellation cause when a stop signal arrives.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// stopSignals are the signals that end secretenv before exec with 128+N.
// As PID 1 the kernel ignores a signal's default action, and Go's default
// would exit 2, so they are caught.
var stopSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP}

// notifyStop delivers stopSignals to a channel. A signal that was ignored
// when secretenv started stays ignored (nohup, a background job), so the
// command inherits it ignored.
func notifyStop() chan os.Signal {
	ch := make(chan os.Signal, 1)
	for _, s := range stopSignals {
		if !signal.Ignored(s) {
			signal.Notify(ch, s)
		}
	}
	return ch
}

// signalStatus is the exit status for death by sig: 128+N, as shells report.
func signalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailure
}

// execCommand replaces secretenv with argv[0], found by lookCommand. It
// returns only on failure, with the exit status to use. setByUs names the
// variables that came from secrets, to name the culprit when the environment
// is too big.
func execCommand(argv, env []string, setByUs map[string]source, files []fileValue) error {
	if err := checkExecLimits(argv, env, setByUs); err != nil {
		return err
	}
	path, err := lookCommand(argv[0], env, setByUs)
	if err != nil {
		return err
	}
	// Last before execve, once the command is found: a command that
	// cannot start leaves no value on disk.
	if err := writeFilesFor(path, files, env, setByUs); err != nil {
		return err
	}
	return execError(path, unix.Exec(path, argv, env), env, setByUs)
}

// writeFilesFor writes the --file values once path is known to be one
// execve can run: lookCommand takes a name with a slash as it is, so a
// missing or non-executable path would otherwise fail only at execve,
// after the values were on disk. The error is execve's own (126, 127).
func writeFilesFor(path string, files []fileValue, env []string, setByUs map[string]source) error {
	if len(files) == 0 {
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return execError(path, err, env, setByUs)
	case fi.IsDir():
		return execError(path, unix.EACCES, env, setByUs)
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return execError(path, err, env, setByUs)
	}
	return writeFiles(files)
}

// lookCommand finds name on env's PATH the way execvp(3) does: each entry
// in order, an empty one meaning the current directory, taking the first
// where name is an executable file and remembering the first where it
// exists but cannot be run (126); else 127. A name with a slash is used as
// it is. Both exec and the --watch supervisor start the command found here.
func lookCommand(name string, env []string, set map[string]source) (string, error) {
	if name == "" {
		return "", &exitError{exitNotFound, errors.New("'': command not found")}
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, _ := lookupEnv(env, "PATH")
	if path == "" {
		path = defaultPath
	}
	denied := ""
	for dir := range strings.SplitSeq(path, ":") {
		if dir == "" {
			dir = "."
		}
		file := dir + "/" + name
		fi, err := os.Stat(file)
		switch {
		case err != nil:
			continue
		case fi.Mode().IsRegular() && unix.Access(file, unix.X_OK) == nil:
			return file, nil
		case denied == "":
			denied = file
		}
	}
	if denied != "" {
		return "", execError(denied, unix.EACCES, env, set)
	}
	return "", &exitError{exitNotFound, fmt.Errorf("'%s': command not found in PATH", name)}
}

func fileExists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

// execError maps an execve failure to GNU env's exit statuses.
func execError(file string, err error, env []string, setByUs map[string]source) error {
	switch {
	case errors.Is(err, unix.ENOENT) && fileExists(file):
		return &exitError{exitNotFound, fmt.Errorf("'%s': its interpreter was not found; check the #! line", file)}
	case errors.Is(err, unix.ENOENT):
		return &exitError{exitNotFound, fmt.Errorf("'%s': no such file or directory", file)}
	case errors.Is(err, unix.EACCES):
		if fi, statErr := os.Stat(file); statErr == nil && fi.IsDir() {
			return &exitError{exitNotExecutable, fmt.Errorf("'%s': is a directory", file)}
		}
		return &exitError{exitNotExecutable, fmt.Errorf("'%s': permission denied; it needs the execute bit", file)}
	case errors.Is(err, unix.ENOEXEC):
		return &exitError{exitNotExecutable, fmt.Errorf("'%s': %s", file, describeNoExec(file))}
	case errors.Is(err, unix.E2BIG):
		return &exitError{exitFailure, tooBig(env, setByUs)}
	}
	return &exitError{exitNotExecutable, fmt.Errorf("'%s': %v", file, err)}
}

// elfMachines names the ELF e_machine values of the architectures
// containers run on, as uname -m does (values from the ELF gABI and
// glibc's elf.h).
var elfMachines = map[uint16]string{
	3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm",
	62: "x86_64", 183: "aarch64", 243: "riscv64", 258: "loongarch64",
}

// goarchMachines is the e_machine of the architecture secretenv was built
// for, which is this machine's (or the one it emulates).
var goarchMachines = map[string]uint16{
	"386": 3, "mips": 8, "mipsle": 8, "mips64": 8, "mips64le": 8, "ppc64": 21, "ppc64le": 21,
	"s390x": 22, "arm": 40, "amd64": 62, "arm64": 183, "riscv64": 243, "loong64": 258,
}

// describeNoExec says why execve found file in no executable format
// (ENOEXEC). A file that starts with the ELF magic is a binary for another
// architecture or a corrupt one, not a script that lacks its #! line.
func describeNoExec(file string) string {
	const script = "not an executable format; a script needs a #! line"
	f, err := os.Open(file)
	if err != nil {
		return script
	}
	defer f.Close()
	// e_ident (16 bytes: magic, class, data/byte order, ...), e_type (2),
	// e_machine (2).
	var hdr [20]byte
	n, _ := io.ReadFull(f, hdr[:])
	if n < 4 || string(hdr[:4]) != "\x7fELF" {
		return script
	}
	if n < len(hdr) || (hdr[5] != 1 && hdr[5] != 2) {
		return "an ELF binary with a truncated or corrupt header; rebuild or copy it again"
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if hdr[5] == 2 {
		order = binary.BigEndian
	}
	machine := order.Uint16(hdr[18:])
	here, ok := goarchMachines[runtime.GOARCH]
	if machine == here && ok {
		return fmt.Sprintf("an ELF binary for %s, this machine's architecture, that the kernel cannot load; it may be corrupt or truncated, or built for another OS or word size", elfMachines[machine])
	}
	name, known := elfMachines[machine]
	if !known {
		name = fmt.Sprintf("ELF machine %d", machine)
	}
	hereName := elfMachines[here]
	if !ok {
		hereName = runtime.GOARCH
	}
	return fmt.Sprintf("an ELF binary for %s; this machine is %s (use the image or build for this architecture)", name, hereName)
}

// checkExecLimits finds, before execve does, what would make it fail with
// E2BIG, so that the error can name the variables from secrets: one entry
// longer than MAX_ARG_STRLEN, or arguments and environment together over the
// kernel's limit (fs/exec.c: a quarter of the stack limit, at most 6 MiB and
// at least 128 KiB, less a pointer per string).
func checkExecLimits(argv, env []string, setByUs map[string]source) error {
	for _, kv := range env {
		if len(kv)+1 > maxArgStrlen {
			name, _, _ := strings.Cut(kv, "=")
			if _, ok := setByUs[name]; ok {
				return &exitError{exitFailure, fmt.Errorf("value of %s is %d bytes; Linux passes at most %d bytes per variable (E2BIG)", name, len(kv)-len(name)-1, maxArgStrlen-len(name)-2)}
			}
		}
	}
	size := 8 * (max(len(argv), 1) + len(env))
	for _, s := range argv {
		size += len(s) + 1
	}
	for _, s := range env {
		size += len(s) + 1
	}
	if size > execLimit() {
		return &exitError{exitFailure, tooBig(env, setByUs)}
	}
	return nil
}

// execLimit is the kernel's limit on the bytes of execve's strings and
// pointers for this process's stack limit.
func execLimit() int {
	const stackMax, argMax = 6 << 20, 32 * 4096 // _STK_LIM/4*3, ARG_MAX
	limit := stackMax
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_STACK, &rl) == nil && rl.Cur != unix.RLIM_INFINITY && rl.Cur/4 < uint64(limit) {
		limit = int(rl.Cur / 4)
	}
	return max(limit, argMax)
}

// tooBig explains E2BIG for the whole environment, naming the largest
// variables that came from secrets.
func tooBig(env []string, setByUs map[string]source) error {
	total := 0
	type sized struct {
		name string
		size int
	}
	var ours []sized
	for _, kv := range env {
		total += len(kv) + 1
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := setByUs[name]; ok {
			ours = append(ours, sized{name, len(kv) + 1})
		}
	}
	slices.SortFunc(ours, func(a, b sized) int { return b.size - a.size })
	var names []string
	for _, s := range ours[:min(3, len(ours))] {
		names = append(names, fmt.Sprintf("%s (%d bytes)", s.name, s.size))
	}
	largest := "none"
	if len(names) > 0 {
		largest = strings.Join(names, ", ")
	}
	return fmt.Errorf("the environment is too large to start the command: %d bytes in %d variables; largest from secrets: %s (E2BIG)", total, len(env), largest)
}
