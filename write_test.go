package main

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
)

func TestValidateDocument(t *testing.T) {
	t.Parallel()
	big := `"` + strings.Repeat("v", maxSecretString) + `"`
	cases := []struct {
		name     string
		doc      secret.Document
		lines    map[string]int
		allow    []string
		declared map[string]bool
		want     string // "" for valid
	}{
		{"valid", secret.Document{"A": `"x"`, "N": "1.50"}, nil, nil, nil, ""},
		{"bad name with line", secret.Document{"bad-key": `"x"`}, map[string]int{"bad-key": 4}, nil, nil, `line 4: invalid variable name <7-byte key, not shown>`},
		{"NUL", secret.Document{"A": `"a\u0000b"`}, nil, nil, nil, "NUL"},
		{"loader key", secret.Document{"LD_PRELOAD": `"x"`}, map[string]int{"LD_PRELOAD": 2}, nil, nil, "line 2: key LD_PRELOAD changes how programs load code"},
		{"loader key allowed", secret.Document{"LD_PRELOAD": `"x"`}, nil, []string{"LD_PRELOAD"}, nil, ""},
		{"over the limit", secret.Document{"A": big}, nil, nil, nil, "over Secrets Manager's limit of 65536"},
		{"undeclared key", secret.Document{"A": `"x"`, "B": `"y"`}, map[string]int{"B": 3}, nil, map[string]bool{"A": true}, "line 3: key B is not declared by --only-key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			allowed, _ := keys.AllowSet(tc.allow)
			err := validateDocument(tc.doc, tc.lines, writeRules{allowed: allowed, declared: tc.declared})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMergeDocuments(t *testing.T) {
	t.Parallel()
	old := secret.Document{"A": `"a"`, "B": `"b"`, "C": `"c"`}
	file := secret.Document{"B": `"B"`, "D": `"d"`}
	if got, want := secret.MergeDocuments(old, file, []string{"C", "ABSENT"}, false), (secret.Document{"A": `"a"`, "B": `"B"`, "D": `"d"`}); !maps.Equal(got, want) {
		t.Errorf("merge = %v, want %v", got, want)
	}
	if got := secret.MergeDocuments(old, file, nil, true); !maps.Equal(got, file) {
		t.Errorf("replace = %v, want %v", got, file)
	}
}

func TestEditorArgv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		editor string
		want   []string
	}{
		{"vi", []string{"vi", "/f"}},
		{"/usr/bin/nano", []string{"/usr/bin/nano", "/f"}},
		{"code --wait", []string{"sh", "-c", `code --wait "$@"`, "code --wait", "/f"}},
		{"EDITOR_OPT=1 emacs -nw", []string{"sh", "-c", `EDITOR_OPT=1 emacs -nw "$@"`, "EDITOR_OPT=1 emacs -nw", "/f"}},
	}
	for _, tc := range cases {
		if got := editorArgv(tc.editor, "/f"); !slices.Equal(got, tc.want) {
			t.Errorf("editorArgv(%q) = %q, want %q", tc.editor, got, tc.want)
		}
	}
	env := []string{"EDITOR=ed", "VISUAL="}
	if got := editorCommand(env); got != "ed" {
		t.Errorf("editorCommand with empty VISUAL = %q, want ed", got)
	}
	if got := editorCommand([]string{"VISUAL=vim", "EDITOR=ed"}); got != "vim" {
		t.Errorf("editorCommand = %q, want vim", got)
	}
	if got := editorCommand(nil); got != "vi" {
		t.Errorf("editorCommand() = %q, want vi", got)
	}
}

// TestWithPrivateDirPanic proves the temporary directory is removed when
// the code inside panics, and that it was private meanwhile.
func TestWithPrivateDirPanic(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // not parallel: it sets TMPDIR
	var dir string
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		withPrivateDir(func(pd *privateDir) error {
			d := pd.path
			dir = d
			st, err := os.Stat(d)
			if err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("dir mode %v, %v; want 0700", st.Mode(), err)
			}
			os.WriteFile(d+"/secret.json", []byte("x"), 0o600)
			panic("boom")
		})
	}()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after a panic: %v", dir, err)
	}
}

func TestWriteTarget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string // error substring; "" for valid
	}{
		{[]string{"myapp/prod"}, ""},
		{[]string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:myapp/prod-AbCdEf"}, ""},
		{nil, "takes one secret id, got 0"},
		{[]string{"a", "b"}, "takes one secret id, got 2"},
		{[]string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x:KEY::"}, "remove the json-key and version fields"},
		{[]string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x::AWSPREVIOUS:"}, "remove the json-key and version fields"},
		{[]string{"ssm:/myapp/prod"}, "is in Parameter Store"},
		{[]string{"arn:aws:ssm:eu-west-1:123456789012:parameter/db"}, "is in Parameter Store"},
		{[]string{"a b"}, "space or control character"},
	}
	for _, tc := range cases {
		_, err := writeTarget("put", tc.args)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("writeTarget(%q) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestChangeListKeys: a key already stored need not be a variable name (an
// edit is how it gets removed), and anyone who could write the secret chose
// it: the change list and the race message must not pass its control
// characters to the terminal raw.
func TestChangeListKeys(t *testing.T) {
	t.Parallel()
	const bad = "\x1b[2JRED"
	var b strings.Builder
	if err := printChanges(&b, []secret.Change{{Kind: "removed", Key: bad}, {Kind: "changed", Key: "A"}}, false); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "removed: <7-byte key, not shown>\nchanged: A\n"; got != want {
		t.Errorf("printChanges = %q, want %q", got, want)
	}
	base := current{exists: true, versionID: "1", doc: secret.Document{"A": `"1"`}}
	now := current{exists: true, versionID: "2", doc: secret.Document{"A": `"1"`, bad: `"x"`}}
	if err := raceError(store.SecretVersion{ID: "app"}, base, now); strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("raceError = %q: a raw control character", err)
	}
}

// TestRaceErrorKeys: the conflict line names the other writer's changed
// keys sorted by name (not grouped by kind as the change list is), and
// never a value.
func TestRaceErrorKeys(t *testing.T) {
	t.Parallel()
	v := store.SecretVersion{ID: "app"}
	base := current{exists: true, versionID: "v1", doc: secret.Document{"B": `"old-b"`, "D": `"old-d"`, "Z": `"old-z"`}}
	cases := []struct {
		name string
		base current
		now  current
		want string
	}{
		{"added, removed, changed sorted", base,
			current{exists: true, versionID: "v2", doc: secret.Document{"A": `"new-a"`, "B": `"new-b"`, "Z": `"old-z"`, "C": `"new-c"`}},
			"app: someone else wrote a new version since it was read (they changed key A, B, C, D); nothing written"},
		{"only the stored form", base,
			current{exists: true, versionID: "v2", doc: secret.Document{"B": `"old-b"`, "D": `"old-d"`, "Z": `"old-z"`}},
			"(they changed no key's value (only its stored form))"},
		{"created meanwhile", current{}, current{exists: true, versionID: "v1"},
			"app: someone else created the secret since it was read; nothing written"},
		{"deleted meanwhile", base, current{}, "app: someone else deleted the secret since it was read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := raceError(v, tc.base, tc.now).Error()
			if !strings.Contains(got, tc.want) {
				t.Errorf("raceError = %q, want it to contain %q", got, tc.want)
			}
			if strings.Contains(got, "old-") || strings.Contains(got, "new-") {
				t.Errorf("raceError = %q holds a value", got)
			}
		})
	}
}
