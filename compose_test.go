package main

import (
	"strings"
	"testing"
)

// TestApplyComposeEnv covers reading --set and --file and their twins:
// flags replace twins as a whole, empty twins count as unset, and every
// mistake is refused before any request, without the text it holds.
func TestApplyComposeEnv(t *testing.T) {
	tests := []struct {
		name        string
		sets, files listFlag
		environ     []string
		wantSets    string // names, comma-separated
		wantErr     string
	}{
		{"twins", nil, nil, []string{"SECRETENV_SET_B=${x}", "SECRETENV_SET_A=1", "SECRETENV_FILE_K=/run/k"}, "A,B", ""},
		{"flag replaces twins", listFlag{"C=${y}"}, nil, []string{"SECRETENV_SET_A=1"}, "C", ""},
		{"empty twin is unset", nil, nil, []string{"SECRETENV_SET_A="}, "", ""},
		{"malformed", listFlag{"A=${"}, nil, nil, "", "--set A: malformed template at byte offset 0"},
		{"no =", listFlag{"p4ss-w0rd"}, nil, nil, "", "--set takes NAME=TEMPLATE"},
		{"bad name hidden", listFlag{"p4ss-w0rd=x"}, nil, nil, "", "--set: the text before"},
		{"twin without a name", nil, nil, []string{"SECRETENV_SET_=x"}, "", `"SECRETENV_SET_" names no variable`},
		{"one path twice", nil, listFlag{"A=/r/k", "B=/r/./k"}, nil, "", "--file A and --file B both write"},
		{"empty path", nil, listFlag{"A="}, nil, "", "--file A: empty path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options
			set := map[string]bool{"set": tc.sets != nil, "file": tc.files != nil}
			err := applyComposeEnv(&o, set, tc.environ, tc.sets, tc.files)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "p4ss-w0rd") {
					t.Fatalf("error %q holds the argument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range o.compose.sets {
				names = append(names, c.name)
			}
			if got := strings.Join(names, ","); got != tc.wantSets {
				t.Errorf("sets %q, want %q", got, tc.wantSets)
			}
		})
	}
}

// TestSetVar covers replacing a name in place, dropping its duplicates,
// and appending a new one.
func TestSetVar(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"replace in place", []string{"A=1", "N=old", "B=2"}, "A=1|N=new|B=2"},
		{"duplicates dropped", []string{"N=1", "A=1", "N=2"}, "N=new|A=1"},
		{"appended", []string{"A=1"}, "A=1|N=new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(setVar(tc.env, "N", "new"), "|"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
