package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// stored returns the secret's current SecretString and VersionId in moto
// (us-east-1), or ok false if it does not exist.
func stored(t testing.TB, name string) (text, version string, ok bool) {
	t.Helper()
	// AWSCURRENT by name: moto 5.2.1 answers a stageless read with the
	// version PutSecretValue last made current, not the one
	// UpdateSecretVersionStage moved AWSCURRENT to (AWS has one answer).
	out, err := smClient(t, "us-east-1").GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT"),
	})
	if err != nil {
		if strings.Contains(err.Error(), "ResourceNotFoundException") {
			return "", "", false
		}
		t.Fatalf("reading %s: %v", name, err)
	}
	return aws.ToString(out.SecretString), aws.ToString(out.VersionId), true
}

// versions counts the secret's versions in moto.
func versions(t testing.TB, name string) int {
	t.Helper()
	out, err := smClient(t, "us-east-1").ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("listing versions of %s: %v", name, err)
	}
	return len(out.Versions)
}

// putValue writes text as the secret's new version, as another person would.
func putValue(t testing.TB, name, text string) {
	t.Helper()
	_, err := smClient(t, "us-east-1").PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String(text),
	})
	if err != nil {
		t.Fatalf("putting %s: %v", name, err)
	}
}

// checkStored asserts the secret's stored text.
func checkStored(t testing.TB, name, want string) {
	t.Helper()
	got, _, ok := stored(t, name)
	if !ok || got != want {
		t.Errorf("%s stores %q (exists %v), want %q", name, got, ok, want)
	}
}

// checkCreatedWith asserts the KMS key and description a secret was
// created with.
func checkCreatedWith(t testing.TB, name, kmsKeyID, description string) {
	t.Helper()
	out, err := smClient(t, "us-east-1").DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.KmsKeyId) != kmsKeyID || aws.ToString(out.Description) != description {
		t.Errorf("%s created with KMS key %q, description %q; want %q, %q", name, aws.ToString(out.KmsKeyId), aws.ToString(out.Description), kmsKeyID, description)
	}
}

// TestPut covers put's behaviours against moto: merge, --replace,
// --delete-key, --dry-run, no change, create-if-missing, JSON kept as
// written, stdin, and confirmation without a terminal.
func TestPut(t *testing.T) {
	t.Parallel()
	type tc struct {
		name    string
		initial string // "" means the secret does not exist
		files   map[string]string
		stdin   string
		env     []string // added to baseEnv
		args    []string // after "put ID"
		code    int
		stdout  []string // substrings of stdout, in order
		stderr  string   // substring of stderr ("" means stderr is empty)
		want    string   // the stored text afterwards ("" means it does not exist)
		newVer  bool     // whether a new version was written
	}
	cases := []tc{
		{name: "merge", initial: `{"A":"1","B":"2"}`, files: map[string]string{"f.env": "B=3\nC='4'\n"},
			args: []string{"--from", "f.env", "--yes"}, stdout: []string{"added:   C\n", "changed: B\n", "wrote 2 changes"},
			want: `{"A":"1","B":"3","C":"4"}`, newVer: true},
		{name: "flags before the id", initial: `{"A":"1"}`, files: map[string]string{"f.env": "B=2\n"},
			args: []string{"--yes", "--from", "f.env"}, want: `{"A":"1","B":"2"}`, newVer: true},
		{name: "replace", initial: `{"A":"1","B":"2"}`, files: map[string]string{"f.env": "B=3\n"},
			args: []string{"--from", "f.env", "--replace", "--yes"}, stdout: []string{"removed: A\n", "changed: B\n"},
			want: `{"B":"3"}`, newVer: true},
		{name: "delete-key", initial: `{"A":"1","B":"2","C":"3"}`,
			args: []string{"--delete-key", "A", "--delete-key", "C", "--delete-key", "ABSENT", "--yes"}, stdout: []string{"removed: A\nremoved: C\n"},
			want: `{"B":"2"}`, newVer: true},
		{name: "dry-run", initial: `{"A":"1"}`, files: map[string]string{"f.env": "A=2\nB=3\n"},
			args: []string{"--from", "f.env", "--dry-run"}, stdout: []string{"added:   B\nchanged: A\n", "2 changes not written (--dry-run)"},
			want: `{"A":"1"}`},
		{name: "show-values", initial: `{"A":"1","B":"x"}`, files: map[string]string{"f.env": "A=2\nC='new\"q'\n"},
			args:   []string{"--from", "f.env", "--dry-run", "--show-values", "--delete-key", "B"},
			stdout: []string{"added:   C = \"new\\\"q\"\n", "removed: B (was \"x\")\n", "changed: A: \"1\" -> \"2\"\n"}, want: `{"A":"1","B":"x"}`},
		{name: "description of a secret that exists", initial: `{"A":"1"}`, files: map[string]string{"f.env": "A=1\n"},
			args: []string{"--from", "f.env", "--description", "d"}, stdout: []string{"no changes"}, stderr: "exists, so --kms-key-id and --description are not used", want: `{"A":"1"}`},
		{name: "no changes", initial: `{"A":"1","N":1.50}`, files: map[string]string{"f.env": "A=1\nN=1.50\n"},
			args: []string{"--from", "f.env"}, stdout: []string{"no changes"}, want: `{"A":"1","N":1.50}`},
		{name: "create if missing", files: map[string]string{"f.env": "# app\nexport B=\"two\\nlines\"\nA=1\n"},
			args: []string{"--from", "f.env", "--yes", "--description", "made by put", "--kms-key-id", "alias/app"}, stdout: []string{"added:   A\nadded:   B\n", "created the secret with 2 changes"},
			want: `{"A":"1","B":"two\nlines"}`, newVer: true},
		{name: "JSON values kept as written", initial: `{"A":"1"}`, files: map[string]string{"f.json": `{"N": 1.50, "O": {"x": [1, 2]}, "T": true}`},
			args: []string{"--from", "f.json", "--yes"}, want: `{"A":"1","N":1.50,"O":{"x": [1, 2]},"T":true}`, newVer: true},
		{name: "stdin as JSON", initial: `{}`, stdin: `{"A": "x"}`,
			args: []string{"--from", "-", "--format", "json", "--yes"}, want: `{"A":"x"}`, newVer: true},
		{name: "stored sorted", initial: `{"Z":"1","A":"2"}`, files: map[string]string{"f.env": "M=3\n"},
			args: []string{"--from", "f.env", "--yes"}, want: `{"A":"2","M":"3","Z":"1"}`, newVer: true},
		{name: "no terminal and no --yes", initial: `{"A":"1"}`, files: map[string]string{"f.env": "A=2\n"},
			args: []string{"--from", "f.env"}, code: 125, stdout: []string{"changed: A\n"}, stderr: "stdin is not a terminal to confirm them; pass --yes",
			want: `{"A":"1"}`},
		{name: "loader key refused", initial: `{"A":"1"}`, files: map[string]string{"f.env": "NODE_OPTIONS=--require=x\n"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "key NODE_OPTIONS changes how programs load code and is refused; allow it with --allow-key NODE_OPTIONS",
			want: `{"A":"1"}`},
		{name: "loader key allowed", initial: `{"A":"1"}`, files: map[string]string{"f.env": "NODE_OPTIONS=--max-old-space-size=64\n"},
			args: []string{"--from", "f.env", "--yes", "--allow-key", "NODE_OPTIONS"}, want: `{"A":"1","NODE_OPTIONS":"--max-old-space-size=64"}`, newVer: true},
		{name: "bad dotenv line", initial: `{"A":"1"}`, files: map[string]string{"f.env": "A=1\nnot a line\n"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "f.env: line 2: expected NAME=value", want: `{"A":"1"}`},
		{name: "bad JSON key", initial: `{"A":"1"}`, files: map[string]string{"f.json": "{\n\"A\": 1,\n\"bad-key\": 2\n}"},
			args: []string{"--from", "f.json", "--yes"}, code: 125, stderr: `f.json: line 3: invalid variable name <7-byte key, not shown>`, want: `{"A":"1"}`},
		{name: "invalid JSON", initial: `{"A":"1"}`, files: map[string]string{"f.json": "{\n\"A\": 1\n\"B\": 2\n}"},
			args: []string{"--from", "f.json", "--yes"}, code: 125, stderr: "f.json: line 3, column", want: `{"A":"1"}`},
		{name: "over 65,536 bytes", initial: `{"A":"1"}`, files: map[string]string{"f.env": "BIG=" + strings.Repeat("v", 65530) + "\n"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "over Secrets Manager's limit of 65536", want: `{"A":"1"}`},
		{name: "a key both set and deleted", initial: `{"A":"1"}`, files: map[string]string{"f.env": "A=2\n"},
			args: []string{"--from", "f.env", "--delete-key", "A", "--yes"}, code: 125, stderr: "f.env and given to --delete-key", want: `{"A":"1"}`},
		{name: "delete a stored key that is no variable name", initial: `{"A":"1","db.url":"pg://x"}`,
			args: []string{"--delete-key", "db.url", "--yes"}, stdout: []string{"removed: <6-byte key, not shown>\n", "wrote 1 change"}, want: `{"A":"1"}`, newVer: true},
		{name: "delete a key that is no variable name and not stored", initial: `{"A":"1","db_url":"pg://x"}`,
			args: []string{"--delete-key", "db.url", "--yes"}, code: 125, stderr: "--delete-key <6-byte key, not shown>: no such key is stored, and it is not a variable name; see the stored keys with secretenv edit", want: `{"A":"1","db_url":"pg://x"}`},
		{name: "a key both set on stdin and deleted", initial: `{"A":"1"}`, stdin: "A=2\n",
			args: []string{"--from", "-", "--delete-key", "A", "--yes"}, code: 125, stderr: "A is both in stdin and given to --delete-key", want: `{"A":"1"}`},
		{name: "stored secret not an object", initial: `["x"]`, files: map[string]string{"f.env": "A=1\n"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "the stored secret is not a JSON object of KEY: value; repair it with secretenv edit, or replace it whole with put --replace", want: `["x"]`},
		{name: "replace over a stored secret that is not an object", initial: `["x"]`, files: map[string]string{"f.env": "A=1\n"},
			args: []string{"--from", "f.env", "--replace", "--yes"}, stdout: []string{"replaced: the stored secret, which is not a JSON object\n", "added:   A\n", "wrote 2 changes"}, want: `{"A":"1"}`, newVer: true},
		{name: "replace with {} over a stored secret that is not an object", initial: `["x"]`, stdin: "{}",
			args: []string{"--from", "-", "--format", "json", "--replace", "--yes"}, stdout: []string{"replaced: the stored secret", "wrote 1 change"}, want: `{}`, newVer: true},
		{name: "undeclared key", initial: `{"A":"1"}`, files: map[string]string{"f.env": "B=2\n"},
			args: []string{"--from", "f.env", "--yes", "--only-key", "A"}, code: 125, stderr: "key B is not declared by --only-key or --only-keys-from and is refused", want: `{"A":"1"}`},
		{name: "declared keys", initial: `{"A":"1"}`, files: map[string]string{"f.env": "B=2\n"}, env: []string{"SECRETENV_ONLY_KEYS=A,B"},
			args: []string{"--from", "f.env", "--yes"}, want: `{"A":"1","B":"2"}`, newVer: true},
		{name: "undeclared key by SECRETENV_ONLY_KEYS", initial: `{"A":"1"}`, files: map[string]string{"f.env": "B=2\n"}, env: []string{"SECRETENV_ONLY_KEYS=A"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "key B is not declared", want: `{"A":"1"}`},
		{name: "bad region", initial: `{"A":"1"}`, files: map[string]string{"f.env": "B=2\n"}, env: []string{"AWS_REGION=us east"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "AWS_REGION", want: `{"A":"1"}`},
		{name: "replace from empty stdin", initial: `{"A":"1","B":"2"}`, stdin: "",
			args: []string{"--from", "-", "--replace", "--yes"}, code: 125, stderr: "stdin holds no variables; with --replace that would remove every key", want: `{"A":"1","B":"2"}`},
		{name: "replace from a dotenv of comments only", initial: `{"A":"1"}`, files: map[string]string{"f.env": "# nothing yet\n"},
			args: []string{"--from", "f.env", "--replace", "--yes"}, code: 125, stderr: "holds no variables", want: `{"A":"1"}`},
		{name: "replace with {} empties the secret", initial: `{"A":"1"}`, stdin: "{}",
			args: []string{"--from", "-", "--format", "json", "--replace", "--yes"}, stdout: []string{"removed: A\n"}, want: `{}`, newVer: true},
		{name: "create from an ARN", files: map[string]string{"f.env": "A=1\n"},
			args: []string{"--from", "f.env", "--yes"}, code: 125, stderr: "to create it, give its name, not an ARN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := secretName(t, "app")
			id := name
			if tc.name == "create from an ARN" {
				id = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name
			}
			if tc.initial != "" {
				createSecret(t, "us-east-1", name, tc.initial)
			}
			for f, text := range tc.files {
				writeFile(t, filepath.Join(dir, f), text)
			}
			before := 0
			if tc.initial != "" {
				before = versions(t, name)
			}
			cmd := []string{"put", id}
			for _, a := range tc.args {
				if _, ok := tc.files[a]; ok {
					a = filepath.Join(dir, a)
				}
				cmd = append(cmd, a)
			}
			res := runSecretenv(t, withEnv(baseEnv(t), tc.env...), tc.stdin, cmd...)
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			rest := res.Stdout
			for _, s := range tc.stdout {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Errorf("stdout %q lacks %q (in order)", res.Stdout, s)
					break
				}
				rest = rest[i+len(s):]
			}
			if tc.stderr == "" && res.Stderr != "" {
				t.Errorf("stderr %q, want nothing", res.Stderr)
			}
			if tc.stderr != "" {
				checkOneLine(t, res.Stderr, tc.stderr)
			}
			if tc.want == "" {
				if _, _, ok := stored(t, name); ok {
					t.Errorf("%s exists, want it not created", name)
				}
				return
			}
			checkStored(t, name, tc.want)
			if tc.initial == "" {
				checkCreatedWith(t, name, "alias/app", "made by put")
			}
			after := versions(t, name)
			if tc.initial == "" {
				before = 0
			}
			if grew := after > before; grew != tc.newVer {
				t.Errorf("versions %d -> %d; want a new version: %v", before, after, tc.newVer)
			}
		})
	}
}

// TestPutExportIdentity runs `export --format dotenv | put --from -` on a
// secret holding every kind of value: put finds nothing to change and
// writes no version.
func TestPutExportIdentity(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	text := `{"A":"plain","B":1.50,"C":{"x": [1, 2]},"D":null,"E":true,"F":"it's \"q\" \\ $HOME $$ #x","G":"two\nlines\r\n","H":" pad ","I":"é <&>","J":""}`
	createSecret(t, "us-east-1", name, text)
	env := baseEnv(t)
	exp := runSecretenv(t, env, "", "--secret-id", name, "export", "--format", "dotenv")
	if exp.Code != 0 {
		t.Fatalf("export: exit %d, %s", exp.Code, exp.Stderr)
	}
	before := versions(t, name)
	res := runSecretenv(t, env, exp.Stdout, "put", name, "--from", "-", "--yes")
	if res.Code != 0 || !strings.Contains(res.Stdout, "no changes") {
		t.Fatalf("put: exit %d, stdout %q, stderr %q; want no changes", res.Code, res.Stdout, res.Stderr)
	}
	checkStored(t, name, text)
	if after := versions(t, name); after != before {
		t.Errorf("versions %d -> %d; want none written", before, after)
	}
}

// TestPutDeadline proves --timeout bounds a write: a Secrets Manager that
// never answers ends put at the deadline with 125 and a line naming it.
func TestPutDeadline(t *testing.T) {
	t.Parallel()
	fake, _ := startSilentSM(t)
	start := time.Now()
	res := runSecretenv(t, fake.env(t), "A=1\n", "put", "app", "--from", "-", "--yes", "--timeout", "1s")
	if res.Code != 125 || time.Since(start) > 10*time.Second {
		t.Fatalf("exit %d after %v, want 125 soon after 1s; stderr %q", res.Code, time.Since(start), res.Stderr)
	}
	checkOneLine(t, res.Stderr, "app: no answer within the 1s deadline")
}

// writeFake is a Secrets Manager for the write path's failures: it answers
// GetSecretValue with text (or, if text is "", ResourceNotFoundException)
// and every write with write. ops counts calls by operation.
type writeFake struct {
	URL string
	ops sync.Map // operation -> *atomic.Int64
}

func startWriteFake(t testing.TB, text string, write func(w http.ResponseWriter)) *writeFake {
	t.Helper()
	f := &writeFake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
		n, _ := f.ops.LoadOrStore(op, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if op != "GetSecretValue" {
			write(w)
			return
		}
		if text == "" {
			writeAWSError(w, 400, "ResourceNotFoundException")
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{
			"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf", "Name": "app",
			"SecretString": text, "VersionId": "00000000-0000-0000-0000-000000000001",
		})
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	f.URL = srv.URL
	return f
}

func (f *writeFake) env(t testing.TB) []string {
	return withEnv(baseEnv(t), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+f.URL)
}

func (f *writeFake) count(op string) int64 {
	n, ok := f.ops.Load(op)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// TestPutWriteErrors proves each refused write is one line naming the AWS
// error code and what to do, with exit 125.
func TestPutWriteErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code, text, want string
	}{
		{"AccessDeniedException", `{"A":"1"}`, "access denied to PutSecretValue (AccessDeniedException); the role needs secretsmanager:PutSecretValue"},
		{"AccessDeniedException", "", "access denied to CreateSecret (AccessDeniedException); the role needs secretsmanager:CreateSecret"},
		{"ResourceExistsException", "", "someone else created the secret since it was read; nothing written"},
		{"EncryptionFailure", `{"A":"1"}`, "cannot encrypt the secret (EncryptionFailure)"},
		{"LimitExceededException", `{"A":"1"}`, "Secrets Manager refused the write (LimitExceededException)"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s exists=%v", tc.code, tc.text != ""), func(t *testing.T) {
			t.Parallel()
			fake := startWriteFake(t, tc.text, func(w http.ResponseWriter) { writeAWSError(w, 400, tc.code) })
			res := runSecretenv(t, fake.env(t), "A=2\n", "put", "app", "--from", "-", "--yes")
			if res.Code != 125 {
				t.Fatalf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
			}
			checkOneLine(t, res.Stderr, "secretenv: app: "+tc.want)
		})
	}
}

// TestPutRetrySameToken proves a retried write carries the same
// ClientRequestToken, so a retry cannot create a second version.
func TestPutRetrySameToken(t *testing.T) {
	t.Parallel()
	var tokens []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ClientRequestToken string }
		json.NewDecoder(r.Body).Decode(&body)
		switch r.Header.Get("X-Amz-Target") {
		case "secretsmanager.GetSecretValue":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			json.NewEncoder(w).Encode(map[string]any{"Name": "app", "SecretString": `{"A":"1"}`, "VersionId": "v1"})
			return
		case "secretsmanager.UpdateSecretVersionStage":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			json.NewEncoder(w).Encode(map[string]any{"Name": "app"})
			return
		}
		mu.Lock()
		tokens = append(tokens, body.ClientRequestToken)
		n := len(tokens)
		mu.Unlock()
		if n < 3 {
			writeAWSError(w, 500, "InternalServiceError")
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"Name": "app", "VersionId": body.ClientRequestToken})
	}))
	t.Cleanup(srv.Close)
	res := runSecretenv(t, withEnv(baseEnv(t), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+srv.URL), "A=2\n", "put", "app", "--from", "-", "--yes")
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tokens) != 3 || tokens[0] == "" || tokens[1] != tokens[0] || tokens[2] != tokens[0] {
		t.Errorf("PutSecretValue tokens %q; want three attempts with one token", tokens)
	}
	if !strings.Contains(res.Stdout, tokens[0]) {
		t.Errorf("stdout %q does not name the version %s", res.Stdout, tokens[0])
	}
}

// TestPutWriteDeadline holds PutSecretValue unanswered past --timeout: the
// line says the write may have happened, since the request was sent.
func TestPutWriteDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	fake := startWriteFake(t, `{"A":"1"}`, func(w http.ResponseWriter) { <-release })
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	res := runSecretenv(t, fake.env(t), "A=2\n", "put", "app", "--from", "-", "--yes", "--timeout", "1s")
	if res.Code != 125 {
		t.Fatalf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
	}
	checkOneLine(t, res.Stderr, "app: no answer within the 1s deadline", "the PutSecretValue may have reached Secrets Manager")
}

// TestWriteSecretWithoutValue: a secret created without a value (Terraform's
// aws_secretsmanager_secret with no version, CreateSecret without
// SecretString) answers GetSecretValue with ResourceNotFoundException. put
// and edit must give it its first value, not try CreateSecret and fail with
// ResourceExistsException on every run.
func TestWriteSecretWithoutValue(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"put", "edit"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			if _, err := smClient(t, "us-east-1").CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
				Name: aws.String(name), Description: aws.String("made by terraform"),
			}); err != nil {
				t.Fatal(err)
			}
			env, tmp := editEnv(t, editorScript(t, `printf '{"A": "1"}' > "$1"`))
			args := []string{"edit", name, "--yes"}
			if cmd == "put" {
				args = []string{"put", name, "--from", "-", "--yes"}
			}
			res := runSecretenv(t, env, "A=1\n", args...)
			if res.Code != 0 {
				t.Fatalf("exit %d, want 0; stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
			}
			if res.Stderr != "" {
				t.Errorf("stderr %q, want nothing (the secret exists)", res.Stderr)
			}
			checkStored(t, name, `{"A":"1"}`)
			checkCreatedWith(t, name, "", "made by terraform")
			checkEmpty(t, tmp)
		})
	}
}

// casFake is a Secrets Manager holding one secret, "app", that keeps its
// versions and AWSCURRENT as AWS does, for the compare-and-swap's paths
// moto cannot be made to take: an answer lost after the change was made,
// a writer between PutSecretValue and the move of AWSCURRENT, a denied move.
// hook runs before each call (n counts calls of op from 1, stage is
// UpdateSecretVersionStage's label) and may change the state; it returns
// an error to answer with (status, code), applied (the call is carried out
// first) or not.
type casFake struct {
	URL     string
	mu      sync.Mutex
	current string            // AWSCURRENT's VersionId; "" while the secret does not exist
	texts   map[string]string // VersionId -> SecretString
	labels  map[string]string // pending label -> VersionId
	tokens  map[string][]string
	calls   map[string]int
	hook    func(f *casFake, op, stage string, n int) (status int, code string, applied bool)
}

func startCASFake(t testing.TB, initial string, hook func(f *casFake, op, stage string, n int) (int, string, bool)) *casFake {
	t.Helper()
	f := &casFake{texts: map[string]string{}, labels: map[string]string{}, tokens: map[string][]string{}, calls: map[string]int{}, hook: hook}
	if initial != "" {
		f.current, f.texts["v1"] = "v1", initial
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	f.URL = srv.URL
	return f
}

func (f *casFake) serve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SecretString, ClientRequestToken                   string
		VersionStage, RemoveFromVersionId, MoveToVersionId string
		VersionStages                                      []string
	}
	json.NewDecoder(r.Body).Decode(&in)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	f.tokens[op] = append(f.tokens[op], in.ClientRequestToken)
	status, code, applied := 0, "", true
	if f.hook != nil {
		status, code, applied = f.hook(f, op, in.VersionStage, f.calls[op])
	}
	if status != 0 && !applied {
		writeAWSError(w, status, code)
		return
	}
	answer := map[string]any{"Name": "app"}
	switch op {
	case "GetSecretValue", "DescribeSecret":
		if f.current == "" {
			writeAWSError(w, 400, "ResourceNotFoundException")
			return
		}
		answer["VersionId"], answer["SecretString"] = f.current, f.texts[f.current]
	case "CreateSecret":
		if f.current != "" {
			writeAWSError(w, 400, "ResourceExistsException")
			return
		}
		f.current, f.texts[in.ClientRequestToken] = in.ClientRequestToken, in.SecretString
		answer["VersionId"] = in.ClientRequestToken
	case "PutSecretValue":
		f.texts[in.ClientRequestToken] = in.SecretString
		for _, l := range in.VersionStages {
			f.labels[l] = in.ClientRequestToken
		}
		answer["VersionId"], answer["VersionStages"] = in.ClientRequestToken, in.VersionStages
	case "UpdateSecretVersionStage":
		if in.VersionStage == "AWSCURRENT" {
			if in.RemoveFromVersionId != f.current {
				writeAWSError(w, 400, "InvalidParameterException")
				return
			}
			f.current = in.MoveToVersionId
		} else {
			if f.labels[in.VersionStage] != in.RemoveFromVersionId {
				writeAWSError(w, 400, "InvalidParameterException")
				return
			}
			delete(f.labels, in.VersionStage)
		}
	}
	if status != 0 {
		writeAWSError(w, status, code) // carried out, answer lost
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(answer)
}

// TestPutCompareAndSwap drives the write path's answers that moto cannot
// give: a retry after a success whose answer was lost is a success, a
// writer between the two calls is a conflict naming their keys sorted, a
// refusal removes the pending label, a label that cannot be removed is
// named with the command that removes it.
func TestPutCompareAndSwap(t *testing.T) {
	t.Parallel()
	const stored = `{"A":"1"}`
	cases := []struct {
		name    string
		initial string
		hook    func(f *casFake, op, stage string, n int) (int, string, bool)
		code    int
		stdout  string // substring
		stderr  []string
		current string // the text current afterwards
		labels  int    // pending labels left
	}{
		{name: "CreateSecret answer lost, retry refused",
			hook: func(f *casFake, op, _ string, n int) (int, string, bool) {
				if op == "CreateSecret" && n == 1 {
					return 500, "InternalServiceError", true
				}
				return 0, "", true
			},
			stdout: "created the secret with 1 change", current: `{"B":"2"}`},
		{name: "move answer lost, retry refused", initial: stored,
			hook: func(f *casFake, op, stage string, n int) (int, string, bool) {
				if op == "UpdateSecretVersionStage" && stage == "AWSCURRENT" && n == 1 {
					return 500, "InternalServiceError", true
				}
				return 0, "", true
			},
			stdout: "wrote 1 change", current: `{"A":"1","B":"2"}`},
		{name: "someone wrote between the two calls", initial: stored,
			hook: func(f *casFake, op, _ string, _ int) (int, string, bool) {
				if op == "PutSecretValue" {
					f.current, f.texts["other"] = "other", `{"A":"1","Z":"9","C":"3"}`
				}
				return 0, "", true
			},
			code: 125, stderr: []string{"secretenv: app: someone else wrote a new version since it was read (they changed key C, Z); nothing written"},
			current: `{"A":"1","Z":"9","C":"3"}`},
		{name: "move denied", initial: stored,
			hook: func(f *casFake, op, stage string, _ int) (int, string, bool) {
				if op == "UpdateSecretVersionStage" {
					return 400, "AccessDeniedException", false
				}
				return 0, "", true
			},
			code: 125, stderr: []string{"secretenv: app: access denied to UpdateSecretVersionStage (AccessDeniedException); the role needs secretsmanager:UpdateSecretVersionStage",
				"a version labelled secretenv-pending-", "(not current) is left: remove the label with aws secretsmanager update-secret-version-stage --secret-id app --version-stage secretenv-pending-"},
			current: stored, labels: 1},
		{name: "label removal denied after the move", initial: stored,
			hook: func(f *casFake, op, stage string, _ int) (int, string, bool) {
				if op == "UpdateSecretVersionStage" && stage != "AWSCURRENT" {
					return 400, "AccessDeniedException", false
				}
				return 0, "", true
			},
			stdout: "wrote 1 change", stderr: []string{"secretenv: app: written, but the label secretenv-pending-", "(AccessDeniedException); remove it with aws secretsmanager update-secret-version-stage"},
			current: `{"A":"1","B":"2"}`, labels: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := startCASFake(t, tc.initial, tc.hook)
			res := runSecretenv(t, withEnv(baseEnv(t), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+f.URL), "B=2\n", "put", "app", "--from", "-", "--yes")
			if res.Code != tc.code || !strings.Contains(res.Stdout, tc.stdout) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d and %q", res.Code, res.Stdout, res.Stderr, tc.code, tc.stdout)
			}
			if len(tc.stderr) == 0 && res.Stderr != "" {
				t.Errorf("stderr %q, want nothing", res.Stderr)
			}
			if len(tc.stderr) > 0 {
				checkOneLine(t, res.Stderr, tc.stderr...)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if got := f.texts[f.current]; got != tc.current {
				t.Errorf("current %q, want %q", got, tc.current)
			}
			if len(f.labels) != tc.labels {
				t.Errorf("pending labels left %v, want %d", f.labels, tc.labels)
			}
			for op, tokens := range f.tokens {
				if op == "CreateSecret" || op == "PutSecretValue" {
					for _, tok := range tokens {
						if tok != tokens[0] || tok == "" {
							t.Errorf("%s tokens %q, want one token on every attempt", op, tokens)
						}
					}
				}
			}
		})
	}
}
