package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// editEnv is baseEnv with a private TMPDIR, so a test can prove that edit
// leaves no temporary file behind, and the editor set to editor.
func editEnv(t *testing.T, editor string) (env []string, tmp string) {
	tmp = filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	return withEnv(baseEnv(t), "TMPDIR="+tmp, "EDITOR="+editor, "-VISUAL"), tmp
}

// checkEmpty asserts that edit removed its temporary directory.
func checkEmpty(t *testing.T, tmp string) {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("TMPDIR holds %v after edit; want it empty", entries[0].Name())
	}
}

// editorScript writes an executable sh script as the editor: $1 is the file.
func editorScript(t *testing.T, body string) string {
	return writeScript(t, t.TempDir(), "editor", "#!/bin/sh\n"+body+"\n", 0o755)
}

// TestEdit drives edit with scripted editors against moto: what it writes,
// what it prints, its exit status, and that TMPDIR is empty afterwards.
func TestEdit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		initial string // "" means the secret does not exist
		editor  string // script body, or with a "cmd:" prefix an EDITOR value where %s is a script of the body after the first newline
		args    []string
		env     []string
		code    int
		stdout  string // substring
		stderr  string // substring; "" means empty
		want    string // stored afterwards; "" means it does not exist
		newVer  bool
	}{
		{name: "change a value", initial: `{"A":"1","B":"x"}`, editor: `sed -i 's/"x"/"y"/' "$1"`, args: []string{"--yes"},
			stdout: "changed: B\n", want: `{"A":"1","B":"y"}`, newVer: true},
		{name: "values kept as written", initial: `{"S":"s","N":1.50,"O":{"x": [1, 2]}}`, editor: `sed -i 's/"s"/"t"/' "$1"`, args: []string{"--yes"},
			stdout: "changed: S\n", want: `{"N":1.50,"O":{"x": [1, 2]},"S":"t"}`, newVer: true},
		{name: "add and remove", initial: `{"A":"1","B":"2"}`, editor: `printf '{"B": "2", "C": "3"}' > "$1"`, args: []string{"--yes"},
			stdout: "added:   C\nremoved: A\n", want: `{"B":"2","C":"3"}`, newVer: true},
		{name: "editor with arguments", initial: `{"A":"1"}`, editor: "cmd:sh %s --wait\n" + `[ "$1" = --wait ] && sed -i 's/"1"/"2"/' "$2"`, args: []string{"--yes"},
			want: `{"A":"2"}`, newVer: true},
		{name: "VISUAL before EDITOR", initial: `{"A":"1"}`, editor: "cmd:false\n", env: []string{"VISUAL=" + "%s"}, args: []string{"--yes"},
			want: `{"A":"2"}`, newVer: true},
		{name: "no change", initial: `{"A":"1"}`, editor: "exit 0", stdout: "no changes", want: `{"A":"1"}`},
		{name: "same values respaced", initial: `{"A":"1"}`, editor: `printf '{"A":"1"}' > "$1"`, stdout: "no changes", want: `{"A":"1"}`},
		{name: "editor fails", initial: `{"A":"1"}`, editor: `sed -i 's/"1"/"2"/' "$1"; exit 3`, args: []string{"--yes"},
			code: 1, stderr: "the editor", want: `{"A":"1"}`},
		{name: "editor not found", initial: `{"A":"1"}`, editor: "cmd:/nonexistent/editor\n", args: []string{"--yes"},
			code: 1, stderr: "cannot start the editor", want: `{"A":"1"}`},
		{name: "invalid JSON without a terminal", initial: `{"A":"1"}`, editor: `printf '{\n"A": "1"\n"B": 2\n}' > "$1"`, args: []string{"--yes"},
			code: 125, stderr: "line 3, column", want: `{"A":"1"}`},
		{name: "lone surrogate named by line", initial: `{"A":"1"}`, editor: `printf '{\n"A": "1",\n"B": "\\ud800"\n}' > "$1"`, args: []string{"--yes"},
			code: 125, stderr: `line 3: value of key "B" holds a lone UTF-16 surrogate`, want: `{"A":"1"}`},
		{name: "loader key refused", initial: `{"A":"1"}`, editor: `printf '{\n"A": "1",\n"LD_PRELOAD": "x"\n}' > "$1"`, args: []string{"--yes"},
			code: 125, stderr: "line 3: key LD_PRELOAD changes how programs load code", want: `{"A":"1"}`},
		{name: "no terminal and no --yes", initial: `{"A":"1"}`, editor: `sed -i 's/"1"/"2"/' "$1"`,
			code: 125, stdout: "changed: A\n", stderr: "pass --yes", want: `{"A":"1"}`},
		{name: "create if missing", editor: `printf '{"B": "2", "A": 1.50}' > "$1"`, args: []string{"--yes", "--description", "made by edit", "--kms-key-id", "alias/app"},
			stdout: "added:   A\nadded:   B\n", stderr: "does not exist yet", want: `{"A":1.50,"B":"2"}`, newVer: true},
		{name: "a bad setting fails before the editor opens", initial: `{"A":"1"}`, editor: "exit 7", args: []string{"--yes", "--only-keys-from", "/nonexistent/.env.example"},
			code: 125, stderr: "--only-keys-from", want: `{"A":"1"}`},
		{name: "undeclared key refused", initial: `{"A":"1"}`, editor: `printf '{\n"A": "1",\n"B": "2"\n}' > "$1"`, args: []string{"--yes", "--only-key", "A"},
			code: 125, stderr: "line 3: key B is not declared", want: `{"A":"1"}`},
		{name: "byte-order mark and CRLF from the editor", initial: `{"A":"1"}`, editor: `printf '\357\273\277{\r\n  "A": "2"\r\n}\r\n' > "$1"`, args: []string{"--yes"},
			stdout: "changed: A\n", want: `{"A":"2"}`, newVer: true},
		{name: "private file", initial: `{"A":"1"}`, editor: `[ "$(stat -c %a "$(dirname "$1")") $(stat -c %a "$1")" = "700 600" ] && sed -i 's/"1"/"2"/' "$1"`, args: []string{"--yes"},
			want: `{"A":"2"}`, newVer: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			if tc.initial != "" {
				createSecret(t, "us-east-1", name, tc.initial)
			}
			editor, extra := tc.editor, tc.env
			if rest, ok := strings.CutPrefix(tc.editor, "cmd:"); ok {
				value, body, _ := strings.Cut(rest, "\n")
				script := editorScript(t, body)
				if tc.name == "VISUAL before EDITOR" {
					script = editorScript(t, `sed -i 's/"1"/"2"/' "$1"`)
					extra = []string{"VISUAL=" + script}
				}
				editor = strings.ReplaceAll(value, "%s", script)
			} else {
				editor = editorScript(t, tc.editor)
			}
			env, tmp := editEnv(t, editor)
			before := 0
			if tc.initial != "" {
				before = versions(t, name)
			}
			res := runSecretenv(t, withEnv(env, extra...), "", append([]string{"edit", name}, tc.args...)...)
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			if !strings.Contains(res.Stdout, tc.stdout) {
				t.Errorf("stdout %q lacks %q", res.Stdout, tc.stdout)
			}
			if (tc.stderr == "") != (res.Stderr == "") || !strings.Contains(res.Stderr, tc.stderr) {
				t.Errorf("stderr %q, want %q", res.Stderr, tc.stderr)
			}
			checkEmpty(t, tmp)
			if tc.want == "" {
				if _, _, ok := stored(t, name); ok {
					t.Errorf("%s was created", name)
				}
				return
			}
			checkStored(t, name, tc.want)
			if tc.initial == "" {
				checkCreatedWith(t, name, "alias/app", "made by edit")
				return
			}
			if grew := versions(t, name) > before; grew != tc.newVer {
				t.Errorf("new version written: %v, want %v", grew, tc.newVer)
			}
		})
	}
}

// waitFor polls until path exists, failing the test after 20 s.
func waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear within 20s", path)
}

// TestEditConcurrentWrite writes a new version while the editor is open:
// edit must refuse to save over it, name the key the other writer
// changed, and leave their version current.
func TestEditConcurrentWrite(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1","B":"2"}`)
	sync := t.TempDir()
	opened, saved := filepath.Join(sync, "opened"), filepath.Join(sync, "go")
	editor := editorScript(t, `touch `+opened+`
while [ ! -e `+saved+` ]; do sleep 0.02; done
sed -i 's/"1"/"10"/' "$1"`)
	env, tmp := editEnv(t, editor)
	done := make(chan result, 1)
	go func() { done <- runSecretenv(t, env, "", "edit", name, "--yes") }()
	waitFor(t, opened)
	putValue(t, name, `{"A":"1","B":"3"}`)
	writeFile(t, saved, "")
	res := <-done
	if res.Code != 125 {
		t.Fatalf("exit %d, want 125; stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	checkOneLine(t, res.Stderr, "someone else wrote a new version since it was read (they changed key B); nothing written")
	checkStored(t, name, `{"A":"1","B":"3"}`)
	checkEmpty(t, tmp)
}

// TestEditStopSignals sends SIGINT (Ctrl-C from a supervisor or kill) and
// SIGTERM to secretenv while the editor runs: secretenv passes it to the
// editor, writes nothing, exits 128+N, and leaves TMPDIR empty and no
// editor behind.
func TestEditStopSignals(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"A":"1"}`)
			sync := t.TempDir()
			pidFile := filepath.Join(sync, "pid")
			// The editor changes the file, then waits: a signal must still
			// write nothing.
			editor := editorScript(t, `sed -i 's/"1"/"2"/' "$1"
echo $$ > `+pidFile+`.tmp && mv `+pidFile+`.tmp `+pidFile+`
exec sleep 30`)
			env, tmp := editEnv(t, editor)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "edit", name, "--yes")
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			waitFor(t, pidFile)
			cmd.Process.Signal(sig)
			start := time.Now()
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Fatalf("wait: %v, want exit %d; stderr %q", err, 128+int(sig), stderr.String())
			}
			if time.Since(start) > 4*time.Second {
				t.Errorf("secretenv took %v to stop", time.Since(start))
			}
			checkOneLine(t, stderr.String(), "nothing written")
			checkStored(t, name, `{"A":"1"}`)
			checkEmpty(t, tmp)
			text, _ := os.ReadFile(pidFile)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(text)))
			if pid > 0 && syscall.Kill(pid, 0) == nil {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("the editor (pid %d) outlived secretenv", pid)
			}
		})
	}
}

// TestWriteCannotCreate gives edit and put a secret that does not exist
// and cannot be created under the id given: an ARN (CreateSecret takes a
// name) or a name with a version stage, which names cannot hold. Both must
// say so before the editor opens or a change list is shown and a question
// asked.
func TestWriteCannotCreate(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	for _, tc := range []struct{ id, want string }{
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name, "to create it, give its name, not an ARN"},
		{name + "#1", "a new secret's name holds only letters, digits and /_+=.@-"},
		// A name with a version selector (issue 23) names a version, and
		// edit and put write only the current one.
		{name + "::AWSPREVIOUS", "remove the json-key and version fields"},
	} {
		for _, args := range [][]string{{"edit", tc.id, "--yes"}, {"put", tc.id, "--from", "-", "--yes"}} {
			t.Run(args[0]+" "+tc.id, func(t *testing.T) {
				marker := filepath.Join(t.TempDir(), "editor-ran")
				env, tmp := editEnv(t, editorScript(t, `touch `+marker+`; printf '{"A": "1"}' > "$1"`))
				res := runSecretenv(t, env, "A=1\n", args...)
				if res.Code != 125 {
					t.Fatalf("exit %d, want 125; stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
				}
				checkOneLine(t, res.Stderr, tc.want)
				if res.Stdout != "" {
					t.Errorf("stdout %q, want nothing: no change list for a write that cannot happen", res.Stdout)
				}
				if _, err := os.Stat(marker); err == nil {
					t.Errorf("the editor ran for a secret that cannot be created")
				}
				checkEmpty(t, tmp)
			})
		}
	}
}

// TestEditBrokenStdout runs edit with stdout a pipe nobody reads (edit |
// head that has exited). The change list then fails to print: the runtime's
// default for SIGPIPE on stdout would kill secretenv on the spot, leaving
// the temporary file and its values behind.
func TestEditBrokenStdout(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1"}`)
	env, tmp := editEnv(t, editorScript(t, `sed -i 's/"1"/"2"/' "$1"`))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(bin, "edit", name, "--yes")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Exited() {
		t.Fatalf("wait: %v, want an exit status, not death by a signal; stderr %q", err, stderr.String())
	}
	checkOneLine(t, stderr.String(), "nothing written")
	checkStored(t, name, `{"A":"1"}`)
	checkEmpty(t, tmp)
}

// TestEditSwapConflict: a writer between edit's PutSecretValue and its move
// of AWSCURRENT (past the re-read, so only the compare-and-swap can see
// it) wins; edit writes nothing current, names their keys sorted, exits
// 125 and removes its pending label.
func TestEditSwapConflict(t *testing.T) {
	t.Parallel()
	f := startCASFake(t, `{"A":"1"}`, func(f *casFake, op, _ string, _ int) (int, string, bool) {
		if op == "PutSecretValue" {
			f.current, f.texts["other"] = "other", `{"A":"1","Z":"9","C":"3"}`
		}
		return 0, "", true
	})
	env, tmp := editEnv(t, editorScript(t, `printf '{"A": "1", "B": "2"}' > "$1"`))
	res := runSecretenv(t, withEnv(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+f.URL), "", "edit", "app", "--yes")
	if res.Code != 125 {
		t.Fatalf("exit %d, want 125; stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	checkOneLine(t, res.Stderr, "secretenv: app: someone else wrote a new version since it was read (they changed key C, Z); nothing written")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current != "other" || len(f.labels) != 0 {
		t.Errorf("current %s, pending labels %v; want theirs current and no label left", f.current, f.labels)
	}
	checkEmpty(t, tmp)
}

// TestEditTMPDIRSwap plays another local user who, while the editor is
// open, renames edit's private directory aside and puts their own in its
// place with their own content. secretenv must notice that the path no
// longer leads to its directory, write nothing (neither the other user's
// content nor anything else), and leave no copy of the secret under TMPDIR:
// the file it made is removed through its directory wherever it went.
func TestEditTMPDIRSwap(t *testing.T) {
	t.Parallel()
	const original = `{"A":"s3cret-original"}`
	for _, tc := range []struct{ name, editor string }{
		{"editor saves nothing", `d=$(dirname "$1"); mv "$d" "$d.aside" && mkdir -m 700 "$d" && printf '{"A":"planted"}' > "$1"`},
		{"editor saves into the other directory", `d=$(dirname "$1"); mv "$d" "$d.aside" && mkdir -m 700 "$d" && printf '{"A":"saved"}' > "$1"`},
		{"directory replaced by a symbolic link", `d=$(dirname "$1"); mkdir -m 700 "$d.theirs" && printf '{"A":"planted"}' > "$d.theirs/secret.json" && mv "$d" "$d.aside" && ln -s "$d.theirs" "$d"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, original)
			before := versions(t, name)
			env, tmp := editEnv(t, editorScript(t, tc.editor))
			res := runSecretenv(t, env, "", "edit", name, "--yes")
			if res.Code != 125 {
				t.Fatalf("exit %d, want 125; stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
			}
			checkOneLine(t, res.Stderr, "TMPDIR "+tmp+": ", "was moved or replaced while the editor was open", "set TMPDIR to a private directory; nothing written")
			checkStored(t, name, original)
			if versions(t, name) != before {
				t.Errorf("a new version was written")
			}
			filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if text, _ := os.ReadFile(path); strings.Contains(string(text), "s3cret-original") {
						t.Errorf("%s holds the secret's value after edit", path)
					}
				}
				return nil
			})
		})
	}
}

// TestEditTMPDIRMode: a TMPDIR that every user can write without the
// sticky bit lets any of them swap edit's directory, so edit refuses it
// before the secret's value is written anywhere; /tmp's own mode (1777) is
// fine.
func TestEditTMPDIRMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode os.FileMode
		code int
	}{
		{"world-writable without sticky bit", 0o777, 125},
		{"world-writable with sticky bit", 0o777 | os.ModeSticky, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"A":"1"}`)
			marker := filepath.Join(t.TempDir(), "editor-ran")
			env, tmp := editEnv(t, editorScript(t, `touch `+marker+`; sed -i 's/"1"/"2"/' "$1"`))
			if err := os.Chmod(tmp, tc.mode); err != nil {
				t.Fatal(err)
			}
			res := runSecretenv(t, env, "", "edit", name, "--yes")
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			checkEmpty(t, tmp)
			if tc.code == 0 {
				checkStored(t, name, `{"A":"2"}`)
				return
			}
			checkOneLine(t, res.Stderr, "TMPDIR "+tmp+" is writable by every user and has no sticky bit", "set TMPDIR to a private directory")
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the editor ran")
			}
			checkStored(t, name, `{"A":"1"}`)
		})
	}
}

// TestEditEditorKilled: an editor killed by a signal writes nothing. As
// for git commit, SIGINT and SIGQUIT (Ctrl-C, Ctrl-\ in the editor) mean
// the person interrupted: 128+N, so a shell loop around edit stops. Any
// other signal is an editor that failed: 1, as git commit and crontab -e.
func TestEditEditorKilled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  string
		code int
	}{
		{"KILL", 1},
		{"TERM", 1},
		{"SEGV", 1},
		{"INT", 130},
		{"QUIT", 131},
	} {
		t.Run(tc.sig, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"A":"1"}`)
			env, tmp := editEnv(t, editorScript(t, `sed -i 's/"1"/"2"/' "$1"; kill -`+tc.sig+` $$`))
			res := runSecretenv(t, env, "", "edit", name, "--yes")
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			checkOneLine(t, res.Stderr, "was killed by SIG"+tc.sig+"; nothing written")
			checkStored(t, name, `{"A":"1"}`)
			checkEmpty(t, tmp)
		})
	}
}

// TestConfirmHint: without a terminal and without --yes, edit and put refuse
// to write and say how to go on, each with the flags it has: --dry-run is
// put's alone.
func TestConfirmHint(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1"}`)
	env, _ := editEnv(t, editorScript(t, `printf '{"A": "2"}' > "$1"`))
	for _, tc := range []struct {
		args      []string
		stdin     string
		dryRunToo bool
	}{
		{[]string{"edit", name}, "", false},
		{[]string{"put", name, "--from", "-"}, "A=2\n", true},
	} {
		res := runSecretenv(t, env, tc.stdin, tc.args...)
		if res.Code != 125 {
			t.Fatalf("%s: exit %d, want 125; stderr %q", tc.args[0], res.Code, res.Stderr)
		}
		checkOneLine(t, res.Stderr, "stdin is not a terminal to confirm them; pass --yes")
		if got := strings.Contains(res.Stderr, "--dry-run"); got != tc.dryRunToo {
			t.Errorf("%s: stderr %q; --dry-run named: %v, want %v", tc.args[0], res.Stderr, got, tc.dryRunToo)
		}
	}
	checkStored(t, name, `{"A":"1"}`)
}
