package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
	"github.com/secretenv/secretenv/internal/supervise"
	"golang.org/x/sys/unix"
)

// editCmd opens a secret in the person's editor as pretty JSON, like
// crontab -e, and writes it back through the shared write path.
var editCmd = &command{
	name:  "edit",
	usage: "[flags] edit [--yes] [--show-values] ID",
	help: `Open secret ID as pretty JSON in $VISUAL, $EDITOR or vi, then list the
changes (names only) and write them after a question. A secret that does
not exist is created. Nothing the entrypoint would refuse is written, nor
over a version someone else wrote meanwhile. Exit 0 written or nothing to
write, 1 declined or the editor failed, 125 on errors.

Flags:
  --yes              write without asking
  --show-values      show old and new values in the change list
  --kms-key-id K     the KMS key of a secret that is created
  --description T    the description of a secret that is created

Examples:
  secretenv edit myapp/prod
  EDITOR=nano secretenv --region eu-west-1 edit myapp/prod
`,
	flags: addWriteFlags,
	check: func(o *options, args []string) error {
		_, err := writeTarget("edit", args)
		return err
	},
	run: runEdit,
}

// editorGrace is how long the editor has to exit after secretenv passes on
// a stop signal, before it is killed: the temporary file must not outlive
// secretenv, and a supervisor's own grace (docker stop: 10 s) is longer.
const editorGrace = 5 * time.Second

func runEdit(ctx context.Context, inv *invocation) error {
	v, _ := writeTarget("edit", inv.args) // checked already
	// SIGQUIT too (Ctrl-\ at a question): the runtime's default, a
	// goroutine dump and exit, would leave the temporary file behind.
	ctx, stop := stopOnSignal(ctx, syscall.SIGQUIT)
	defer stop()
	// So would its default for SIGPIPE on stdout or stderr (edit | head,
	// head gone): with SIGPIPE handled, that write returns EPIPE and edit
	// ends through its error path. Not a stop signal: a socket's SIGPIPE
	// must not cancel a write in flight. The editor gets the default back
	// at exec.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	rules, err := newWriteRules(inv.opts)
	if err != nil {
		return err
	}

	sm, base, err := readForWrite(ctx, inv, v)
	if err != nil {
		return err
	}
	if base.unreadable != nil && base.raw == "" {
		return base.readable() // binary or no value: nothing to open
	}
	if base.unreadable != nil {
		// JSON has no comments to say it inside the file, so it is said
		// here, with the line, just before the editor takes the screen
		// (and stays above it after).
		fmt.Fprintf(inv.stderr, "secretenv: %v; it opens as stored: fix it, and it is checked when you save\n", base.unreadable)
	}
	if !base.exists {
		fmt.Fprintf(inv.stderr, "secretenv: %s does not exist yet; it is created when you save\n", v)
	}
	return signalled(ctx, withPrivateDir(func(dir *privateDir) error {
		return editIn(ctx, inv, sm, v, base, rules, dir)
	}))
}

// editFile is the name of the secret's file inside edit's private directory.
const editFile = "secret.json"

// privateDir is the directory edit made under TMPDIR, held by a descriptor
// opened and checked right after mkdir. The editor needs a path, but a
// path can be made to lead elsewhere (another user renames the directory
// aside and puts their own in its place), so everything secretenv itself
// does — writing the file, reading it back, removing it — goes through
// the descriptor, and the path is trusted only after checking it still
// leads to the same directory.
type privateDir struct {
	tmp  string // TMPDIR as used, for messages
	path string
	fd   int
	st   unix.Stat_t
}

// withPrivateDir runs fn with a fresh directory only this user can enter
// (0700), and empties it through its descriptor however fn ends: a return,
// an error, or a panic. Stop signals end fn through its context, so they
// return here too.
//
// A TMPDIR that every user can write without the sticky bit is refused
// before any value is written: there, anyone may rename our directory
// aside and swap in theirs while the editor is open, and what the person
// saves then goes to their file before secretenv can notice. The check of
// the path after the editor (privateDir.verify) still catches a swap the
// mode cannot show (a shared group directory, ACLs); the refusal is what
// keeps the saved text from reaching the other user at all.
func withPrivateDir(fn func(dir *privateDir) error) error {
	tmp := os.TempDir()
	if fi, err := os.Stat(tmp); err == nil && fi.Mode().Perm()&0o002 != 0 && fi.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("TMPDIR %s is writable by every user and has no sticky bit, so another user could swap edit's private directory; set TMPDIR to a private directory (mkdir -m 700 ~/tmp; TMPDIR=~/tmp); nothing written", tmp)
	}
	path, err := os.MkdirTemp(tmp, "secretenv-edit-") // mode 0700
	if err != nil {
		return fmt.Errorf("cannot create a private temporary directory: %v; check TMPDIR", err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("cannot open the private temporary directory %s: %v; set TMPDIR to a private directory", path, err)
	}
	d := &privateDir{tmp: tmp, path: path, fd: fd}
	defer d.remove()
	if err := unix.Fstat(fd, &d.st); err != nil {
		return fmt.Errorf("cannot check the private temporary directory %s: %v; set TMPDIR to a private directory", path, err)
	}
	// Between mkdir and open another user could have put their own
	// directory under the name: then it is theirs, or not 0700.
	if int(d.st.Uid) != os.Geteuid() || d.st.Mode&0o777 != 0o700 {
		return fmt.Errorf("TMPDIR %s: the private directory %s was replaced before use (owner %d, mode %o); set TMPDIR to a private directory; nothing written", tmp, path, d.st.Uid, d.st.Mode&0o777)
	}
	return fn(d)
}

// file is the path the editor gets.
func (d *privateDir) file() string { return filepath.Join(d.path, editFile) }

// create writes text to a new file in the directory, 0600.
func (d *privateDir) create(text string) error {
	fd, err := unix.Openat(d.fd, editFile, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("cannot create the temporary file: %v", err)
	}
	f := os.NewFile(uintptr(fd), d.file())
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write the temporary file: %v", err)
	}
	return nil
}

// verify reports an error when the directory's path no longer leads to
// the directory secretenv made: what the editor saved went elsewhere.
func (d *privateDir) verify() error {
	var now unix.Stat_t
	err := unix.Fstatat(unix.AT_FDCWD, d.path, &now, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil || now.Dev != d.st.Dev || now.Ino != d.st.Ino {
		return fmt.Errorf("TMPDIR %s: the private directory %s was moved or replaced while the editor was open, so what you saved may be in another user's hands; set TMPDIR to a private directory; nothing written", d.tmp, d.path)
	}
	return nil
}

// read reads the file back through the directory's descriptor.
func (d *privateDir) read() ([]byte, error) {
	fd, err := unix.Openat(d.fd, editFile, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), d.file())
	defer f.Close()
	return io.ReadAll(f)
}

// remove empties the directory through its descriptor, wherever it has
// been moved, then removes it by name only if the name still leads to it:
// a directory put in its place is not ours to remove.
func (d *privateDir) remove() {
	removeAllAt(d.fd)
	var now unix.Stat_t
	if unix.Fstatat(unix.AT_FDCWD, d.path, &now, unix.AT_SYMLINK_NOFOLLOW) == nil && now.Dev == d.st.Dev && now.Ino == d.st.Ino {
		unix.Rmdir(d.path)
	}
	unix.Close(d.fd)
}

// removeAllAt removes everything inside the directory open as fd (the file,
// and an editor's swap and backup files), never following a symbolic link.
func removeAllAt(fd int) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return
	}
	dir := os.NewFile(uintptr(dup), "")
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	for _, name := range names {
		if unix.Unlinkat(fd, name, 0) == nil {
			continue
		}
		sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		removeAllAt(sub)
		unix.Close(sub)
		unix.Unlinkat(fd, name, unix.AT_REMOVEDIR)
	}
}

// editIn writes the secret into dir, runs the editor until the text is
// valid (reopening it on request, on a terminal), then applies it.
func editIn(ctx context.Context, inv *invocation, sm *store.SecretStore, v store.SecretVersion, base current, rules writeRules, dir *privateDir) error {
	text := base.doc.Pretty()
	if base.unreadable != nil {
		text = base.raw
	}
	if err := dir.create(text); err != nil {
		return err
	}
	terminal := supervise.IsTerminal(inv.stdin)
	for {
		if err := runEditor(ctx, inv, v, dir.file()); err != nil {
			return err
		}
		if err := dir.verify(); err != nil {
			return fmt.Errorf("%s: %w", v, err)
		}
		edited, err := dir.read()
		if err != nil {
			return fmt.Errorf("%s: cannot read the edited file back: %v; nothing written", v, err)
		}
		// Editors on Windows save UTF-8 with a byte-order mark; it marks
		// the encoding and is no part of the JSON (put drops it too).
		edited = bytes.TrimPrefix(edited, []byte("\uFEFF"))
		if string(edited) == text && base.unreadable == nil {
			_, err := fmt.Fprintf(inv.stdout, "%s: no changes\n", v)
			return err
		}
		next, changes, err := parseEdited(base, edited, rules)
		if err == nil {
			return apply(ctx, inv, sm, v, base, next, changes, false)
		}
		if !terminal {
			return fmt.Errorf("%s: %w; nothing written", v, err)
		}
		fmt.Fprintf(inv.stderr, "secretenv: %s: %v\n", v, err)
		again, err := ask(ctx, inv, "Edit again?", true)
		if err != nil {
			return err
		}
		if !again {
			return &exitError{exitDeclined, fmt.Errorf("%s: nothing written", v)}
		}
	}
}

// parseEdited reads the edited text with the entrypoint's rules; errors
// name the line and the key.
func parseEdited(base current, edited []byte, rules writeRules) (secret.Document, []secret.Change, error) {
	doc, lines, err := secret.ParseDocument(edited)
	if errors.Is(err, secret.ErrNotObject) {
		return nil, nil, errors.New("the text is not a JSON object of KEY: value")
	}
	if err != nil {
		return nil, nil, err
	}
	return prepare(base, doc, lines, rules)
}

// editorCommand is $VISUAL, else $EDITOR, else vi, as git and crontab
// choose.
func editorCommand(environ []string) string {
	for _, name := range []string{"VISUAL", "EDITOR"} {
		if v, _ := lookupEnv(environ, name); strings.TrimSpace(v) != "" {
			return v
		}
	}
	return "vi"
}

// shellChars are the characters that make git run an editor through the
// shell (run-command.c's prepare_shell_cmd).
const shellChars = "|&;<>()$`\\\"' \t\n*?[#~=%"

// editorArgv runs editor on path as git does: a plain program name
// directly, anything else (code --wait, emacs -nw) through sh -c with the
// file as "$@".
func editorArgv(editor, path string) []string {
	if !strings.ContainsAny(editor, shellChars) {
		return []string{editor, path}
	}
	return []string{"sh", "-c", editor + ` "$@"`, editor, path}
}

// vimHistoryArgs keep vim from writing a secret anywhere but the file:
// -i NONE no viminfo (which keeps the :s/old/new/ of a password change, and
// registers), -n no swap file, and after the vimrc, which may turn them on,
// no backup or undo file (undofile keeps every old value). Verified with
// Debian's vim.basic 9.0 through tmux (integration/editorhistory_test.go).
var vimHistoryArgs = []string{"-i", "NONE", "-n", "-c", "set nobackup nowritebackup noundofile"}

// nanoHistoryArgs keep nano from saving search and replacement strings (the
// new value of a :s-style change) in ~/.local/share/nano/search_history:
// `set historylog`, which a system nanorc may hold (this machine's
// /etc/nanorc does), is the only switch, and no flag unsets it, so nano
// reads no nanorc at all (-I; locking and backup files go with it, which
// suits a secret). Verified with Debian's nano 7.2 through tmux: the
// replacement string was in search_history without -I, and nothing with.
var nanoHistoryArgs = []string{"--ignorercfiles"}

// privateEditorArgs returns the flags that keep a recognised editor, found
// at path (through symbolic links: vi is often vim), from keeping history
// of what it edits, or nil. Only vim's full builds and nano are recognised:
// they are the ones verified; vim.tiny (Debian's default vi) and nvim are
// not, and an editor given with arguments is run as given (README: editor
// history).
func privateEditorArgs(path string) []string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	switch filepath.Base(path) {
	case "vim", "vim.basic", "vim.nox", "vim.gtk3":
		return vimHistoryArgs
	case "nano":
		return nanoHistoryArgs
	}
	return nil
}

// runEditor runs the editor on path and waits for it. The editor gets a
// process group of its own, made the terminal's foreground group when
// secretenv holds the terminal: Ctrl-C and Ctrl-\ then reach the editor
// only (vi uses them; they must not end secretenv and orphan it), and a
// stop signal sent to secretenv is passed to the editor's whole group
// (sh -c and what it started), which gets editorGrace to exit before it is
// killed. Then the terminal is taken back for the questions that follow.
func runEditor(ctx context.Context, inv *invocation, v store.SecretVersion, path string) error {
	editor := editorCommand(inv.environ)
	argv := editorArgv(editor, path)
	p, lookErr := lookPath(argv[0], inv.environ)
	if lookErr == nil && len(argv) == 2 {
		argv = append(append(argv[:1:1], privateEditorArgs(p)...), path)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if lookErr == nil {
		cmd.Path, cmd.Err = p, nil
	}
	cmd.Env = inv.environ
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inv.stdin, inv.stdout, inv.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second // stdio copies, when stdio is not a file
	tty, foreground := supervise.ForegroundTerminal(inv.stdin)
	if foreground {
		cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, tty
		defer supervise.ReclaimTerminal(tty)
	}
	if err := cmd.Start(); err != nil {
		return &exitError{exitDeclined, fmt.Errorf("%s: cannot start the editor %q: %v; set VISUAL or EDITOR; nothing written", v, editor, unwrapExec(err))}
	}
	done := make(chan error, 1)
	go func() {
		supervise.WaitEditor(cmd.Process.Pid, tty, foreground)
		done <- cmd.Wait()
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		var se signalError
		sig := os.Signal(syscall.SIGTERM)
		if errors.As(context.Cause(ctx), &se) {
			sig = se.sig
		}
		pgid := cmd.Process.Pid
		syscall.Kill(-pgid, sig.(syscall.Signal))
		syscall.Kill(-pgid, syscall.SIGCONT) // a stopped editor (Ctrl-Z) acts on it only when continued
		select {
		case <-done:
		case <-time.After(editorGrace):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		return context.Cause(ctx)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		// As git commit does (editor.c): an editor ended by Ctrl-C or
		// Ctrl-\ (SIGINT, SIGQUIT) means the person interrupted, so edit
		// ends as interrupted too, 128+N, and a shell loop around it
		// stops; an editor killed by any other signal (KILL, TERM, SEGV)
		// is an editor that failed: exit 1, as git and crontab -e.
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code := exitDeclined
			if sig := ws.Signal(); sig == syscall.SIGINT || sig == syscall.SIGQUIT {
				code = signalStatus(sig)
			}
			return &exitError{code, fmt.Errorf("%s: the editor %q was killed by %s; nothing written", v, editor, unix.SignalName(ws.Signal()))}
		}
		return &exitError{exitDeclined, fmt.Errorf("%s: the editor %q exited with status %d; nothing written", v, editor, ee.ExitCode())}
	}
	return &exitError{exitDeclined, fmt.Errorf("%s: the editor %q failed: %v; nothing written", v, editor, err)}
}

// lookPath finds a program on environ's PATH (the editor's environment,
// which may differ from secretenv's own).
func lookPath(name string, environ []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, _ := lookupEnv(environ, "PATH")
	for dir := range strings.SplitSeq(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// unwrapExec drops os/exec's wrapping, which repeats the program name.
func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}
