package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
)

// editCmd opens a secret in the person's editor as pretty JSON, like
// crontab -e, and writes it back through the shared write path.
var editCmd = &command{
	name:  "edit",
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

	store, base, err := readForWrite(ctx, inv, v)
	if err != nil {
		return err
	}
	if err := base.readable(); err != nil {
		return err
	}
	if !base.exists {
		fmt.Fprintf(inv.stderr, "secretenv: %s does not exist yet; it is created when you save\n", v)
	}
	return signalled(ctx, withPrivateDir(func(dir string) error {
		return editIn(ctx, inv, store, v, base, rules, dir)
	}))
}

// withPrivateDir runs fn with a fresh directory only this user can enter
// (0700), and removes it with its contents however fn ends: a return, an
// error, or a panic. Stop signals end fn through its context, so they
// return here too.
func withPrivateDir(fn func(dir string) error) error {
	dir, err := os.MkdirTemp("", "secretenv-edit-") // mode 0700
	if err != nil {
		return fmt.Errorf("cannot create a private temporary directory: %v; check TMPDIR", err)
	}
	defer os.RemoveAll(dir)
	return fn(dir)
}

// editIn writes the secret into dir, runs the editor until the text is
// valid (reopening it on request, on a terminal), then applies it.
func editIn(ctx context.Context, inv *invocation, store *store.SecretStore, v store.SecretVersion, base current, rules writeRules, dir string) error {
	path := filepath.Join(dir, "secret.json")
	text := base.doc.Pretty()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot create the temporary file: %v", err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write the temporary file: %v", err)
	}
	terminal := supervise.IsTerminal(inv.stdin)
	for {
		if err := runEditor(ctx, inv, v, path); err != nil {
			return err
		}
		edited, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: cannot read the edited file back: %v; nothing written", v, err)
		}
		// Editors on Windows save UTF-8 with a byte-order mark; it marks
		// the encoding and is no part of the JSON (put drops it too).
		edited = bytes.TrimPrefix(edited, []byte("\uFEFF"))
		if string(edited) == text {
			_, err := fmt.Fprintf(inv.stdout, "%s: no changes\n", v)
			return err
		}
		next, changes, err := parseEdited(base, edited, rules)
		if err == nil {
			return apply(ctx, inv, store, v, base, next, changes, false)
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
	cmd := exec.Command(argv[0], argv[1:]...)
	if p, err := lookPath(argv[0], inv.environ); err == nil {
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
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &exitError{signalStatus(ws.Signal()), fmt.Errorf("%s: the editor was ended by %v; nothing written", v, ws.Signal())}
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
