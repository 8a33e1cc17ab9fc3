package integration

import "testing"

// TestContentRefused proves that text that cannot be kept byte for byte is
// refused with the key named, and a byte-order mark is named as such,
// while surrogate pairs still decode.
func TestContentRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       []string
	}{
		{"lone high surrogate", `{"OK":"1","A": "x\ud800y"}`, []string{`value of key "A" holds a lone UTF-16 surrogate escape`}},
		{"lone low surrogate", `{"B": "\udc00"}`, []string{`value of key "B" holds a lone UTF-16 surrogate escape`}},
		{"high surrogate before a non-low", `{"C": "\ud83d\u0041"}`, []string{`value of key "C" holds a lone`}},
		{"lone surrogate in a key", `{"K\ud800": "x"}`, []string{`the key at byte 2 holds a lone UTF-16 surrogate escape`}},
		{"byte-order mark", "\ufeff" + `{"A": "x"}`, []string{"starts with a byte-order mark (U+FEFF); save it without a BOM"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, tc.text)
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "sh", "-c", "echo STARTED")
			checkRefused(t, res, append([]string{name + ": "}, tc.want...)...)
		})
	}
	t.Run("surrogate pair", func(t *testing.T) {
		t.Parallel()
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, `{"A": "\ud83d\ude00"}`)
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "env", "-0")
		if res.Code != 0 {
			t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
		}
		if got := envOf(t, res.Stdout)["A"]; got != "😀" {
			t.Errorf("child saw A=%q, want %q", got, "😀")
		}
	})
}
