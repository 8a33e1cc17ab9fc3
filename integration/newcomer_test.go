package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// These tests follow a newcomer's first day (issue 23): a template that
// leaks nothing, a .env fixed in one run, optional keys, versions by name.

// pemEnv is a .env holding a multi-line PEM key around the canary, and a
// plain value.
const pemEnv = "DB_URL=postgres://u:" + "pw@db/app\n" +
	"TLS_KEY=\"-----BEGIN PRIVATE KEY-----\n" + canary + "\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\"\n" +
	"SENTRY_DSN= # optional\n"

// checkNoValue fails if text holds any form of the canary or a line of the
// PEM key or the plain value.
func checkNoValue(t *testing.T, what, text string) {
	t.Helper()
	for _, v := range append(canaryForms(), "cAnArY", "MIIEvQ", "PRIVATE KEY", "postgres", "pw@db") {
		if strings.Contains(text, v) {
			t.Errorf("%s holds a value (%q):\n%s", what, v, text)
		}
	}
}

// TestReadmeTemplateRecipe runs the README's template line as written, in a
// shell, on a .env with a multi-line value: the template holds names only.
func TestReadmeTemplateRecipe(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\$ (secretenv template [^#\n]*> \.env\.example)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README has no '$ secretenv template ... > .env.example' line")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(pemEnv), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", string(m[1]))
	cmd.Dir = dir
	cmd.Env = withEnv(baseEnv(t), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", m[1], err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	checkNoValue(t, ".env.example", string(got))
	if want := "DB_URL=\nSENTRY_DSN='' # optional\nTLS_KEY=\n"; string(got) != want {
		t.Errorf(".env.example = %q, want %q", got, want)
	}
}

// TestTemplate writes templates of a secret (moto) and of files, and reads
// one back with --require-from and --only-keys-from: the optional key is
// declared, not required.
func TestTemplate(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"DB_URL":"postgres://x","TLS_KEY":"-----BEGIN PRIVATE KEY-----\n`+canary+`\n-----END PRIVATE KEY-----","SENTRY_DSN":""}`)
	env := baseEnv(t)
	res := runSecretenv(t, env, "", "template", name, "--optional", "SENTRY_DSN")
	checkNoValue(t, "template of a secret", res.Stdout+res.Stderr)
	want := "DB_URL=\nSENTRY_DSN='' # optional\nTLS_KEY=\n"
	if res.Code != 0 || res.Stdout != want {
		t.Fatalf("template %s: exit %d, stdout %q, stderr %q; want %q", name, res.Code, res.Stdout, res.Stderr, want)
	}
	tmpl := filepath.Join(t.TempDir(), ".env.example")
	if err := os.WriteFile(tmpl, []byte(res.Stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	// SENTRY_DSN is empty in the secret: required keys would refuse it,
	// but it is optional; and it is declared.
	res = runSecretenv(t, withEnv(env, "SECRET_ID="+name), "", "--require-from", tmpl, "--only-keys-from", tmpl, "--", "sh", "-c", `echo "DSN=[$SENTRY_DSN]"`)
	if res.Code != 0 || !strings.Contains(res.Stdout, "DSN=[]") {
		t.Errorf("--require-from and --only-keys-from with an optional key: exit %d, stdout %q, stderr %q; want 0", res.Code, res.Stdout, res.Stderr)
	}
	// Without the mark the same key is required, and the run refused.
	if err := os.WriteFile(tmpl, []byte("DB_URL=\nSENTRY_DSN=\nTLS_KEY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = runSecretenv(t, withEnv(env, "SECRET_ID="+name), "", "--require-from", tmpl, "--", "true")
	if res.Code != 125 || !strings.Contains(res.Stderr, "empty SENTRY_DSN (from secret "+name+")") {
		t.Errorf("--require-from without the mark: exit %d, stderr %q; want 125 naming SENTRY_DSN", res.Code, res.Stderr)
	}
	// From stdin, a .env's values never reach the output.
	res = runSecretenv(t, env, pemEnv, "template", "--from", "-")
	checkNoValue(t, "template of stdin", res.Stdout+res.Stderr)
	if res.Code != 0 || res.Stdout != want {
		t.Errorf("template --from -: exit %d, stdout %q, stderr %q; want %q", res.Code, res.Stdout, res.Stderr, want)
	}
}

// TestPutListsEveryProblem imports a .env with several problems: one run
// lists them all with their lines, with the right hint for ${NAME}, and
// writes nothing.
func TestPutListsEveryProblem(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"1"}`)
	file := "A=2\nREDIS_URL=${REDIS_HOST}/0\n" + canary + "\nPASS=ab$cd" + canary + "\nB=\"x$\"\n"
	res := runSecretenv(t, baseEnv(t), file, "put", name, "--from", "-", "--yes")
	checkNoValue(t, "put's error", res.Stderr)
	if res.Code != 125 {
		t.Errorf("exit %d, want 125", res.Code)
	}
	checkOneLine(t, res.Stderr)
	for _, want := range []string{
		"secretenv: stdin: 4 problems: ",
		"line 2: REDIS_URL: refers to another variable (${NAME} or $NAME), which Compose would substitute from the environment at docker compose time and secretenv does not expand; write the value itself, or $${NAME} for a literal",
		"line 3: expected NAME=value with NAME a variable name",
		"line 4: PASS: refers to another variable", // not "cd...": a password's text
		"line 5: B: a $ inside double quotes would be interpolated by Compose; write $$ or use single quotes",
	} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr %q lacks %q", res.Stderr, want)
		}
	}
	if got, _, _ := stored(t, name); got != `{"A":"1"}` {
		t.Errorf("stored %q; want it unchanged", got)
	}
}

// TestVersionAfterName reads AWSPREVIOUS by name, with the ARN's fields
// after a name, in SECRET_ID, export, template and diff.
func TestVersionAfterName(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"A":"old","GONE":"x"}`)
	if _, err := smClient(t, "us-east-1").PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String(`{"A":"new"}`),
	}); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(t)
	prev := name + "::AWSPREVIOUS:"
	res := runSecretenv(t, withEnv(env, "SECRET_ID="+prev), "", "--", "sh", "-c", `echo "A=$A GONE=$GONE"`)
	if res.Code != 0 || res.Stdout != "A=old GONE=x\n" {
		t.Errorf("SECRET_ID=%s: exit %d, stdout %q, stderr %q", prev, res.Code, res.Stdout, res.Stderr)
	}
	res = runSecretenv(t, env, "", "--secret-id", prev, "export", "--format", "json")
	if res.Code != 0 || !strings.Contains(res.Stdout, `"GONE"`) {
		t.Errorf("export --secret-id %s: exit %d, stdout %q, stderr %q", prev, res.Code, res.Stdout, res.Stderr)
	}
	res = runSecretenv(t, env, "", "template", prev)
	if res.Code != 0 || res.Stdout != "A=\nGONE=\n" {
		t.Errorf("template %s: exit %d, stdout %q, stderr %q", prev, res.Code, res.Stdout, res.Stderr)
	}
	res = runSecretenv(t, env, "", "diff", "--keys", prev, name)
	if res.Code != 1 || !strings.Contains(res.Stdout, "only in "+prev+": GONE") {
		t.Errorf("diff %s %s: exit %d, stdout %q, stderr %q; want 1 and GONE only in the previous", prev, name, res.Code, res.Stdout, res.Stderr)
	}
	res = runSecretenv(t, withEnv(env, "SECRET_ID="+name+"::NOSUCHSTAGE:"), "", "--", "true")
	if res.Code != 125 || !strings.Contains(res.Stderr, "secret or version not found") {
		t.Errorf("an unknown stage: exit %d, stderr %q; want 125, secret or version not found", res.Code, res.Stderr)
	}
}

// TestTemplateOfParameterPath: a Parameter Store path is not one secret;
// the refusal says so and how to get its template, not "json-key".
func TestTemplateOfParameterPath(t *testing.T) {
	t.Parallel()
	res := runSecretenv(t, baseEnv(t), "", "template", "ssm:/svc")
	if res.Code != 125 {
		t.Fatalf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
	}
	checkOneLine(t, res.Stderr, "secretenv: template: ssm:/svc is a Parameter Store path", "export | secretenv template --from -")
}
