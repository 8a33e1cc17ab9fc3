package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditVimKeepsNoHistory edits a secret with the real vim in a real
// terminal, changing a password with :s/old/new/, under a HOME whose vimrc
// turns on undo and backup files: afterwards no file under HOME (viminfo,
// undo, backup, swap) holds the new value, and the secret does.
func TestEditVimKeepsNoHistory(t *testing.T) {
	t.Parallel()
	vim, err := exec.LookPath("vim")
	if err != nil {
		t.Skip("vim is not installed: this test needs the real editor")
	}
	const newValue = "NewPassw0rdFromVim"
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"PASSWORD":"old-password"}`)
	home := t.TempDir()
	for _, dir := range []string{"undo", "bk"} {
		if err := os.Mkdir(filepath.Join(home, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	vimrc := "set undofile undodir=" + filepath.Join(home, "undo") + " backup backupdir=" + filepath.Join(home, "bk") + " viminfo='100,<50,s10,h\n"
	if err := os.WriteFile(filepath.Join(home, ".vimrc"), []byte(vimrc), 0o600); err != nil {
		t.Fatal(err)
	}
	env, tmp := editEnv(t, vim)
	env = withEnv(env, "HOME="+home, "SECRETENV="+bin, "TERM=xterm")
	term := startTerminal(t, env, `"$SECRETENV" edit --yes `+name+`; echo "EXIT=$?"; sleep 600`)

	term.waitFor(`"PASSWORD": "old-password"`)
	term.keys(":%s/old-password/"+newValue+"/", "Enter")
	term.waitFor(newValue)
	term.keys(":wq", "Enter")
	screen := term.waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("edit did not exit 0; the terminal shows:\n%s", screen)
	}
	checkStored(t, name, `{"PASSWORD":"`+newValue+`"}`)
	checkEmpty(t, tmp)
	filepath.WalkDir(home, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("reading %s: %v", path, err)
		} else if strings.Contains(string(text), newValue) || strings.Contains(string(text), "old-password") {
			t.Errorf("%s holds a value:\n%s", path, text)
		}
		return nil
	})
}
