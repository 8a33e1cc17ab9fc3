package integration

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportShellOwnedNames checks that export --format shell refuses a
// secret with a name the shell owns (dash stops a sourced file at
// OPTIND='v', bash refuses UID), naming all of them on one line and
// printing nothing, so that no sourced file stops halfway.
func TestExportShellOwnedNames(t *testing.T) {
	t.Parallel()
	id := createSecret(t, "us-east-1", secretName(t, "app"), `{"A":"1","OPTIND":"`+canary+`","UID":"`+canary+`2","Z":"2"}`)
	res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+id), "", "export", "--format", "shell")
	if res.Code != 125 {
		t.Fatalf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
	}
	if res.Stdout != "" {
		t.Errorf("printed %q before failing; stdout must stay empty", res.Stdout)
	}
	if !strings.HasPrefix(res.Stderr, "secretenv: ") || strings.Count(res.Stderr, "\n") != 1 ||
		!strings.Contains(res.Stderr, "OPTIND, UID") {
		t.Errorf("stderr %q, want one secretenv: line naming OPTIND, UID", res.Stderr)
	}
	for _, f := range canaryForms() {
		if strings.Contains(res.Stderr, f) {
			t.Errorf("stderr %q holds a value", res.Stderr)
		}
	}
	// The other formats carry them: only a shell owns them.
	if res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+id), "", "export", "--format", "dotenv"); res.Code != 0 {
		t.Errorf("export --format dotenv: exit %d: %s", res.Code, res.Stderr)
	}
}

// TestExportShellSourcedEverywhere sources the shell format in bash, bash
// as sh and dash, and checks that every line took effect, including names
// a shell reads but lets a script set, and the line after each of them.
func TestExportShellSourcedEverywhere(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"IFS": "x", "OPTARG": "o", "CDPATH": "/nowhere", "HISTFILE": "/dev/null",
		"OPTERR": "0", "A_QUOTE": "it's", "Z_LAST": "last line",
	}
	text, err := json.Marshal(vars)
	if err != nil {
		t.Fatal(err)
	}
	id := createSecret(t, "us-east-1", secretName(t, "app"), string(text))
	res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+id), "", "export", "--format", "shell")
	if res.Code != 0 {
		t.Fatalf("export --format shell: exit %d: %s", res.Code, res.Stderr)
	}
	file := filepath.Join(t.TempDir(), "vars.sh")
	writeFile(t, file, res.Stdout)
	for _, sh := range [][]string{{"bash"}, {"bash", "--posix"}, {"dash"}} {
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			path, err := exec.LookPath(sh[0])
			if err != nil {
				t.Fatalf("%s is needed to test the shell format: %v", sh[0], err)
			}
			// env by absolute path: the file may set PATH-like names, and
			// the check is what the shell hands on, not what it prints.
			args := append(sh[1:], "-c", `. "$1" || exit 3; exec /usr/bin/env -0`, "sh", file)
			cmd := exec.Command(path, args...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("sourcing the export in %s: %v", sh, err)
			}
			got := envOf(t, string(out))
			for name, want := range vars {
				if got[name] != want {
					t.Errorf("%s after sourcing: %s = %q, want %q", sh, name, got[name], want)
				}
			}
		})
	}
}
