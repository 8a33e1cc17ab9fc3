package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithPrivateDirTMPDIR: a TMPDIR anyone can write without the sticky
// bit is refused before fn runs; /tmp's 1777 and a private 0700 are fine.
func TestWithPrivateDirTMPDIR(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode os.FileMode
		want string // error substring; "" means fn runs
	}{
		{"private", 0o700, ""},
		{"sticky world-writable", 0o777 | os.ModeSticky, ""},
		{"world-writable without sticky bit", 0o777, "is writable by every user and has no sticky bit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			if err := os.Chmod(tmp, tc.mode); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TMPDIR", tmp) // not parallel: it sets TMPDIR
			ran := false
			err := withPrivateDir(func(*privateDir) error { ran = true; return nil })
			if tc.want == "" {
				if err != nil || !ran {
					t.Errorf("withPrivateDir = %v, ran %v; want fn run", err, ran)
				}
				return
			}
			if ran || err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "set TMPDIR to a private directory") {
				t.Errorf("withPrivateDir = %v, ran %v; want %q and fn not run", err, ran, tc.want)
			}
		})
	}
}

// TestPrivateDirSwapped: when the directory's path is made to lead to
// another directory, verify fails, read still reads secretenv's own file,
// and remove empties secretenv's directory where it went, leaving the
// other one alone.
func TestPrivateDirSwapped(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // not parallel: it sets TMPDIR
	var aside, theirs string
	err := withPrivateDir(func(d *privateDir) error {
		if err := d.create(`{"A": "original"}`); err != nil {
			return err
		}
		if err := d.verify(); err != nil {
			t.Errorf("verify before any swap: %v", err)
		}
		aside, theirs = d.path+".aside", d.path
		if err := os.Rename(d.path, aside); err != nil {
			return err
		}
		if err := os.Mkdir(d.path, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(d.file(), []byte(`{"A": "planted"}`), 0o600); err != nil {
			return err
		}
		if err := d.verify(); err == nil || !strings.Contains(err.Error(), "was moved or replaced") {
			t.Errorf("verify after a swap = %v", err)
		}
		if text, err := d.read(); err != nil || string(text) != `{"A": "original"}` {
			t.Errorf("read = %q, %v; want secretenv's own file", text, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(aside); err != nil || len(entries) != 0 {
		t.Errorf("secretenv's directory, moved aside, holds %v (%v); want it emptied", entries, err)
	}
	if _, err := os.Stat(filepath.Join(theirs, "secret.json")); err != nil {
		t.Errorf("the other directory's file was removed: %v", err)
	}
}

func TestPrivateEditorArgs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"vim.basic", "vim.tiny", "nano", "nvim"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "vim.basic"), filepath.Join(dir, "vi")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		want       bool
	}{
		{"vi that is vim", "vi", true},
		{"vim.basic", "vim.basic", true},
		{"vim.tiny, not verified", "vim.tiny", false},
		{"nvim, not verified", "nvim", false},
		{"nano", "nano", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := privateEditorArgs(filepath.Join(dir, tc.file))
			if (got != nil) != tc.want {
				t.Errorf("privateEditorArgs(%s) = %q, want flags: %v", tc.file, got, tc.want)
			}
		})
	}
}
