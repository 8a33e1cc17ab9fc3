package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// terminal is a tmux server of the test's own (a private socket), running
// one command in a real terminal.
type terminal struct {
	t      *testing.T
	socket string
}

var terminalCount atomic.Int64

// startTerminal runs script (sh) in a new 200x50 tmux terminal with exactly
// env, and kills the tmux server when the test ends. It skips the test only
// when tmux is not installed.
func startTerminal(t *testing.T, env []string, script string) *terminal {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (apt-get install tmux): the terminal test needs a real terminal")
	}
	var b strings.Builder
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s='%s'\n", name, strings.ReplaceAll(value, "'", `'\''`))
	}
	b.WriteString(script + "\n")
	run := writeScript(t, t.TempDir(), "run.sh", b.String(), 0o700)
	term := &terminal{t: t, socket: fmt.Sprintf("secretenv-it-%d-%d", os.Getpid(), terminalCount.Add(1))}
	cmd := exec.Command(tmux, "-L", term.socket, "-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50", "sh "+run)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TERM=xterm", "HOME=" + t.TempDir()}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("starting tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { term.tmux("kill-server") })
	return term
}

func (term *terminal) tmux(args ...string) string {
	out, _ := exec.Command("tmux", append([]string{"-L", term.socket}, args...)...).CombinedOutput()
	return string(out)
}

// screen is the terminal's text, with its scrollback.
func (term *terminal) screen() string {
	return term.tmux("capture-pane", "-p", "-J", "-S", "-200")
}

// waitFor waits until the screen shows text, failing after 20 s.
func (term *terminal) waitFor(text string) string {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := term.screen()
		if strings.Contains(s, text) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the terminal did not show %q within 20s; it shows:\n%s", text, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys types into the terminal, as send-keys does.
func (term *terminal) keys(keys ...string) {
	term.tmux(append([]string{"send-keys", "-t", "0"}, keys...)...)
}

// TestEditTerminal runs secretenv edit in a real terminal as a person
// would: the editor saves invalid JSON, secretenv names the line and asks
// to reopen, the second save is valid, the change list shows names only,
// and the question is answered with y.
func TestEditTerminal(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1","B":"old-value-`+canary+`"}`)
	count := filepath.Join(t.TempDir(), "count")
	editor := editorScript(t, `if [ ! -e `+count+` ]; then
  touch `+count+`
  printf '{\n  "A": "1",\n  "B": "new-value-%s"\n  "C": "added-value"\n}\n' "$CANARY" > "$1"
else
  printf '{\n  "A": "1",\n  "B": "new-value-%s",\n  "C": "added-value"\n}\n' "$CANARY" > "$1"
fi`)
	env, tmp := editEnv(t, editor)
	env = withEnv(env, "CANARY="+canary, "SECRETENV="+bin)
	term := startTerminal(t, env, `"$SECRETENV" edit `+name+`; echo "EXIT=$?"; sleep 600`)

	term.waitFor("Edit again? [Y/n]")
	term.keys("y", "Enter")
	term.waitFor("Write 2 changes to " + name + "? [y/N]")
	term.keys("y", "Enter")
	screen := term.waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("edit did not exit 0; the terminal shows:\n%s", screen)
	}
	for _, want := range []string{
		"secretenv: " + name + ": line 4, column",
		"added:   C\nchanged: B\n",
		name + ": wrote 2 changes",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, screen)
		}
	}
	for _, value := range append(canaryForms(), "added-value", "old-value", "new-value") {
		if strings.Contains(screen, value) {
			t.Errorf("the terminal shows a value (%q):\n%s", value, screen)
		}
	}
	t.Logf("the terminal:\n%s", screen)
	checkStored(t, name, `{"A":"1","B":"new-value-`+canary+`","C":"added-value"}`)
	checkEmpty(t, tmp)
}

// TestEditTerminalCtrlC presses Ctrl-C in a terminal while a (scripted)
// editor runs: the editor, in the foreground, gets SIGINT and dies of it,
// and secretenv writes nothing, exits 130 and leaves TMPDIR empty.
func TestEditTerminalCtrlC(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1"}`)
	editor := editorScript(t, `sed -i 's/"1"/"2"/' "$1"; echo EDITING; exec sleep 600`)
	env, tmp := editEnv(t, editor)
	env = withEnv(env, "SECRETENV="+bin)
	term := startTerminal(t, env, `"$SECRETENV" edit `+name+`; echo "EXIT=$?"; sleep 600`)
	term.waitFor("EDITING")
	term.keys("C-c")
	screen := term.waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=130") || !strings.Contains(screen, "nothing written") {
		t.Errorf("want exit 130 and nothing written; the terminal shows:\n%s", screen)
	}
	checkStored(t, name, `{"A":"1"}`)
	checkEmpty(t, tmp)
}

// TestEditTerminalSuspend presses Ctrl-Z in the editor under an interactive
// shell: the shell must see the job stopped (not a hung terminal), and fg
// must give the editor back the terminal and continue it; the edit then
// completes.
func TestEditTerminalSuspend(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed: this test needs a shell with job control")
	}
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1"}`)
	// The editor reads the terminal, as a real one does: a background
	// process group that tries gets SIGTTIN and stops, so the answer gets
	// through only if the editor holds the terminal after fg.
	editor := editorScript(t, `echo EDITING; read answer; [ "$answer" = go ] && sed -i 's/"1"/"2"/' "$1"`)
	env, tmp := editEnv(t, editor)
	env = withEnv(env, "SECRETENV="+bin, "PS1=$ ")
	term := startTerminal(t, env, "exec bash --norc --noprofile -i")
	term.waitFor("$ ")
	// One command a line: bash would run the rest of a list at once when
	// the job stops.
	term.keys(`"$SECRETENV" edit `+name+` --yes`, "Enter")
	term.waitFor("EDITING")
	term.keys("C-z")
	term.waitFor("Stopped")
	term.keys("fg", "Enter")
	term.waitFor("$ fg\n")
	term.keys("go", "Enter")
	term.waitFor(name + ": wrote 1 change")
	term.keys(`echo "EXIT=$?"`, "Enter")
	screen := term.waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("edit did not exit 0 after fg; the terminal shows:\n%s", screen)
	}
	checkStored(t, name, `{"A":"2"}`)
	checkEmpty(t, tmp)
}
