package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// hostile is text a terminal would act on: ESC, a CSI (U+009B, C1) and a
// right-to-left override.
const hostile = "x\x1b[31m\u009b2J\u202ey"

// noRawControl fails when out holds any rune of hostile that acts on a
// terminal.
func noRawControl(t *testing.T, what, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\u009b\u202e") {
		t.Errorf("%s holds a raw control or bidi character: %q", what, out)
	}
}

// TestTerminalEscapes checks that list --json, diff and put escape file
// names and descriptions that hold ESC, U+009B and U+202E. Secrets Manager
// names allow only [A-Za-z0-9/_+=.@-], so the hostile text is in a
// description, which allows any character, and in file names.
func TestTerminalEscapes(t *testing.T) {
	t.Parallel()
	env := baseEnv(t)

	t.Run("list --json", func(t *testing.T) {
		t.Parallel()
		prefix := secretName(t, "")
		_, err := smClient(t, "us-east-1").CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
			Name: aws.String(prefix + "app"), SecretString: aws.String(`{"A":"1"}`), Description: aws.String(hostile),
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"list", "--json", prefix}, {"list", prefix}} {
			res := runSecretenv(t, env, "", args...)
			if res.Code != 0 {
				t.Fatalf("%q: exit %d: %s", args, res.Code, res.Stderr)
			}
			noRawControl(t, strings.Join(args, " "), res.Stdout+res.Stderr)
			if !strings.Contains(res.Stdout, `\u009b2J\u202ey`) {
				t.Errorf("%q: stdout %q, want the description escaped", args, res.Stdout)
			}
		}
	})

	t.Run("diff of a file with a hostile name", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		a := filepath.Join(dir, hostile+".env")
		b := filepath.Join(dir, "b.env")
		writeFile(t, a, "A=1\nONLY_A=1\n")
		writeFile(t, b, "A=2\n")
		res := runSecretenv(t, env, "", "diff", a, b)
		if res.Code != 1 || !strings.Contains(res.Stdout, `only in `) || !strings.Contains(res.Stdout, `\x1b[31m\u009b2J\u202ey.env: ONLY_A`) {
			t.Errorf("exit %d, stdout %q, want the file name escaped", res.Code, res.Stdout)
		}
		noRawControl(t, "diff output", res.Stdout+res.Stderr)

		bad := filepath.Join(dir, hostile+"-bad.env")
		writeFile(t, bad, "not a line\n")
		res = runSecretenv(t, env, "", "diff", bad, b)
		if res.Code != 125 || !strings.Contains(res.Stderr, `\u202ey-bad.env: line 1`) {
			t.Errorf("exit %d, stderr %q, want 125 naming the file escaped", res.Code, res.Stderr)
		}
		noRawControl(t, "diff error", res.Stderr)
	})

	t.Run("put from a file with a hostile name", func(t *testing.T) {
		t.Parallel()
		id := createSecret(t, "us-east-1", secretName(t, "app"), `{"A":"1"}`)
		dir := t.TempDir()
		for _, tc := range []struct{ name, file, text, want string }{
			{"missing file", filepath.Join(dir, hostile+"-missing.env"), "", `-missing.env: no such file or directory`},
			{"bad line", filepath.Join(dir, hostile+"-bad.env"), "not a line\n", `-bad.env: line 1`},
			{"nothing with --replace", filepath.Join(dir, hostile+"-empty.env"), "# empty\n", `-empty.env holds no variables`},
		} {
			if tc.text != "" {
				writeFile(t, tc.file, tc.text)
			}
			res := runSecretenv(t, env, "", "put", id, "--from", tc.file, "--replace", "--yes")
			if res.Code != 125 || !strings.Contains(res.Stderr, `\u202ey`+tc.want) || strings.Count(res.Stderr, "\n") != 1 {
				t.Errorf("%s: exit %d, stderr %q, want 125 and one line naming the file escaped", tc.name, res.Code, res.Stderr)
			}
			noRawControl(t, tc.name, res.Stdout+res.Stderr)
		}
	})
}
