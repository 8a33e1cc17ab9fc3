package integration

import (
	"strings"
	"testing"
)

// TestEditBrokenSecret checks that edit opens a stored secret that is not
// valid JSON as it is, says why (with the line) before the editor starts,
// and validates the saved text as usual: a repair is written, an unchanged
// or still broken text is refused.
func TestEditBrokenSecret(t *testing.T) {
	t.Parallel()
	const broken = "{\n  \"A\": \"1\",\n  \"B\": \"x\"\n  \"C\": \"y\"\n}\n" // a comma missing on line 3
	tests := []struct {
		name   string
		editor string // script body; $1 is the file
		code   int
		stderr []string
		want   string // stored afterwards
	}{
		{"repaired", `grep -q '"B": "x"$' "$1" && sed -i 's/"x"$/"x",/' "$1"`, 0,
			[]string{"the stored secret is not valid JSON (line 4, column 3: not valid JSON", "it opens as stored"}, `{"A":"1","B":"x","C":"y"}`},
		{"saved unchanged", `true`, 125,
			[]string{"it opens as stored", "not valid JSON (a missing comma or quote?); nothing written"}, broken},
		{"still broken", `echo '{"A":' > "$1"`, 125,
			[]string{"ends too early", "nothing written"}, broken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, broken)
			env, tmp := editEnv(t, editorScript(t, tc.editor))
			res := runSecretenv(t, env, "", "edit", name, "--yes")
			if res.Code != tc.code {
				t.Errorf("exit %d, want %d; stdout %q, stderr %q", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr %q lacks %q", res.Stderr, w)
				}
			}
			got, _, _ := stored(t, name)
			if tc.want != broken {
				got = strings.Join(strings.Fields(got), "")
			}
			if got != tc.want {
				t.Errorf("stored %q, want %q", got, tc.want)
			}
			checkEmpty(t, tmp)
		})
	}
}
