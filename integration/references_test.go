package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Issue 4: an environment variable whose value is a Secrets Manager ARN (ECS
// valueFrom syntax, ARN[:json-key[:version-stage[:version-id]]]) is replaced
// by that secret before the command starts.

// refChild runs `secretenv -- env -0` and returns what the child saw,
// failing the test unless secretenv succeeded.
func refChild(t *testing.T, env []string, flags ...string) map[string]string {
	t.Helper()
	res := runSecretenv(t, env, "", append(flags, "--", "env", "-0")...)
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	return envOf(t, res.Stdout)
}

// refWant checks the child's values of the names in want.
func refWant(t *testing.T, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("child saw %s=%q (set: %v), want %q", name, g, ok, w)
		}
	}
}

// putSecretValue stores text as the new AWSCURRENT version of a moto secret
// and returns its version id; the old current version becomes AWSPREVIOUS.
func putSecretValue(t *testing.T, region, id, text string) string {
	t.Helper()
	out, err := smClient(t, region).PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(id), SecretString: aws.String(text),
	})
	if err != nil {
		t.Fatalf("putting a value into %s: %v", id, err)
	}
	return *out.VersionId
}

// currentVersionID returns the version id of a moto secret's AWSCURRENT.
func currentVersionID(t *testing.T, region, id string) string {
	t.Helper()
	out, err := smClient(t, region).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		t.Fatalf("reading %s: %v", id, err)
	}
	return *out.VersionId
}

// partialARN drops the "-" and six random characters Secrets Manager appends
// to a secret's name in its ARN.
func partialARN(arn string) string { return arn[:len(arn)-7] }

func TestReferences(t *testing.T) {
	t.Parallel()
	const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n+/=\n-----END PRIVATE KEY-----\n"
	plain := createSecret(t, "us-east-1", secretName(t, "tls-key"), pem)
	db := createSecret(t, "us-east-1", secretName(t, "db"),
		`{"password":"p@ss w=rd \"$HOME\"","port":5432,"ratio":1.50,"big":12345678901234567890,"tls":{"ca": [1, "x"]},"none":null,"on":true}`)
	rotated := createSecret(t, "us-east-1", secretName(t, "rotated"), `{"password":"old-pw"}`)
	firstID := currentVersionID(t, "us-east-1", rotated)
	secondID := putSecretValue(t, "us-east-1", rotated, `{"password":"new-pw"}`)
	blue := createSecret(t, "us-east-1", secretName(t, "staged"), "blue-value")
	if _, err := smClient(t, "us-east-1").UpdateSecretVersionStage(context.Background(), &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(blue), VersionStage: aws.String("blue"), MoveToVersionId: aws.String(currentVersionID(t, "us-east-1", blue)),
	}); err != nil {
		t.Fatalf("labelling a version: %v", err)
	}
	faraway := createSecret(t, "eu-west-1", secretName(t, "faraway"), `{"token":"from-eu-west-1"}`)
	farawayPlain := createSecret(t, "ap-southeast-2", secretName(t, "faraway-plain"), "from-sydney")

	tests := []struct {
		name string
		env  []string
		want map[string]string
	}{
		{"plain-text secret into one variable", []string{"TLS_KEY=" + plain}, map[string]string{"TLS_KEY": pem}},
		{"plain-text secret with empty ECS fields", []string{"TLS_KEY=" + plain + ":::"}, map[string]string{"TLS_KEY": pem}},
		{"json-keys converted as SECRET_ID keys are", []string{
			"PW=" + db + ":password::", "PORT=" + db + ":port", "RATIO=" + db + ":ratio::",
			"BIG=" + db + ":big", "TLS=" + db + ":tls::", "NONE=" + db + ":none::", "ON=" + db + ":on",
		}, map[string]string{
			"PW": `p@ss w=rd "$HOME"`, "PORT": "5432", "RATIO": "1.50", "BIG": "12345678901234567890",
			"TLS": `{"ca":[1,"x"]}`, "NONE": "", "ON": "true",
		}},
		{"whole JSON secret without a json-key", []string{"DB_JSON=" + rotated}, map[string]string{"DB_JSON": `{"password":"new-pw"}`}},
		{"AWSPREVIOUS after PutSecretValue", []string{
			"OLD=" + rotated + ":password:AWSPREVIOUS:", "NEW=" + rotated + ":password::", "CUR=" + rotated + ":password:AWSCURRENT",
		}, map[string]string{"OLD": "old-pw", "NEW": "new-pw", "CUR": "new-pw"}},
		{"a custom version stage", []string{"COLOUR=" + blue + "::blue:"}, map[string]string{"COLOUR": "blue-value"}},
		{"version ids", []string{
			"FIRST=" + rotated + ":password::" + firstID, "SECOND=" + rotated + ":password::" + secondID,
		}, map[string]string{"FIRST": "old-pw", "SECOND": "new-pw"}},
		{"partial ARN", []string{
			"TLS_KEY=" + partialARN(plain), "PW=" + partialARN(db) + ":password::", "OLD=" + partialARN(rotated) + ":password:AWSPREVIOUS:",
		}, map[string]string{"TLS_KEY": pem, "PW": `p@ss w=rd "$HOME"`, "OLD": "old-pw"}},
		{"references in other regions", []string{
			"TOKEN=" + faraway + ":token::", "SYD=" + partialARN(farawayPlain), "TLS_KEY=" + plain,
		}, map[string]string{"TOKEN": "from-eu-west-1", "SYD": "from-sydney", "TLS_KEY": pem}},
		{"references with no region configured", []string{"-AWS_REGION", "TOKEN=" + faraway + ":token"}, map[string]string{"TOKEN": "from-eu-west-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			refWant(t, refChild(t, withEnv(baseEnv(t), tc.env...)), tc.want)
		})
	}
}

// TestReferencesWithSecretID covers SECRET_ID pinned to a version with the
// same ARN syntax, and the precedence between references and SECRET_ID keys.
func TestReferencesWithSecretID(t *testing.T) {
	t.Parallel()
	app := createSecret(t, "us-east-1", secretName(t, "app"), `{"DB_PASSWORD":"from-secret-id","MODE":"v1"}`)
	v1 := currentVersionID(t, "us-east-1", app)
	putSecretValue(t, "us-east-1", app, `{"DB_PASSWORD":"from-secret-id","MODE":"v2"}`)
	dbpw := createSecret(t, "us-east-1", secretName(t, "dbpw"), "from-reference")
	other := createSecret(t, "us-east-1", secretName(t, "other"), `{"EXTRA":"x"}`)

	tests := []struct {
		name  string
		env   []string
		flags []string
		want  map[string]string
	}{
		{"SECRET_ID pinned to AWSPREVIOUS", []string{"SECRET_ID=" + app + "::AWSPREVIOUS:"}, nil, map[string]string{"MODE": "v1"}},
		{"SECRET_ID pinned to a version id", []string{"SECRET_ID=" + partialARN(app) + ":::" + v1}, nil, map[string]string{"MODE": "v1"}},
		{"--secret-id pinned", nil, []string{"--secret-id", app + "::AWSPREVIOUS"}, map[string]string{"MODE": "v1"}},
		{"SECRET_ID as an ARN reaches the child unchanged", []string{"SECRET_ID=" + app}, nil, map[string]string{"MODE": "v2", "SECRET_ID": app}},
		{"SECRET_ID list of ARNs", []string{"SECRET_ID=" + app + "," + other}, nil, map[string]string{"MODE": "v2", "EXTRA": "x", "SECRET_ID": app + "," + other}},
		{"a SECRET_ID key never replaces a reference",
			[]string{"SECRET_ID=" + app, "DB_PASSWORD=" + dbpw}, nil,
			map[string]string{"DB_PASSWORD": "from-reference", "MODE": "v2"}},
		{"not even with --override",
			[]string{"SECRET_ID=" + app, "DB_PASSWORD=" + dbpw, "MODE=from-env"}, []string{"--override"},
			map[string]string{"DB_PASSWORD": "from-reference", "MODE": "v2"}},
		{"not even with SECRETENV_OVERRIDE=true",
			[]string{"SECRET_ID=" + app, "DB_PASSWORD=" + dbpw, "SECRETENV_OVERRIDE=true"}, nil,
			map[string]string{"DB_PASSWORD": "from-reference", "MODE": "v2"}},
		{"a reference to the SECRET_ID secret itself", []string{"SECRET_ID=" + app, "MODE=" + app + ":MODE:AWSPREVIOUS:"}, nil,
			map[string]string{"MODE": "v1", "DB_PASSWORD": "from-secret-id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			refWant(t, refChild(t, withEnv(baseEnv(t), tc.env...), tc.flags...), tc.want)
		})
	}
}

// TestReferencesLeftAlone covers values that stay as they are: resolution
// turned off, and values that only contain an ARN.
func TestReferencesLeftAlone(t *testing.T) {
	t.Parallel()
	app := createSecret(t, "us-east-1", secretName(t, "app"), `{"FROM_SECRET":"yes"}`)
	db := createSecret(t, "us-east-1", secretName(t, "db"), "resolved")
	tests := []struct {
		name  string
		env   []string
		flags []string
		want  map[string]string
	}{
		{"--no-references", []string{"DB=" + db}, []string{"--no-references"}, map[string]string{"DB": db}},
		{"SECRETENV_REFERENCES=false", []string{"DB=" + db, "SECRETENV_REFERENCES=false"}, nil, map[string]string{"DB": db}},
		{"SECRETENV_REFERENCES=0", []string{"DB=" + db + ":::", "SECRETENV_REFERENCES=0"}, nil, map[string]string{"DB": db + ":::"}},
		{"SECRETENV_REFERENCES=true resolves", []string{"DB=" + db, "SECRETENV_REFERENCES=true"}, nil, map[string]string{"DB": "resolved"}},
		{"an ARN in the middle of text", []string{
			"NOTE=see " + db, "SPACE= " + db, "URL=https://console.aws.amazon.com/?arn=" + db, "QUOTED=\"" + db + "\"",
		}, nil, map[string]string{
			"NOTE": "see " + db, "SPACE": " " + db, "URL": "https://console.aws.amazon.com/?arn=" + db, "QUOTED": "\"" + db + "\"",
		}},
		{"ARNs of other services and partitions", []string{
			"BUCKET=arn:aws:s3:::bucket/key", "UPPER=ARN:AWS:SECRETSMANAGER:us-east-1:123456789012:secret:db",
		}, nil, map[string]string{
			"BUCKET": "arn:aws:s3:::bucket/key", "UPPER": "ARN:AWS:SECRETSMANAGER:us-east-1:123456789012:secret:db",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(baseEnv(t), append([]string{"SECRET_ID=" + app}, tc.env...)...)
			got := refChild(t, env, tc.flags...)
			refWant(t, got, tc.want)
			refWant(t, got, map[string]string{"FROM_SECRET": "yes"})
		})
	}
}

// TestReferencesOneRequest counts, at a fake Secrets Manager, the requests
// for twenty variables and SECRET_ID naming one secret version: one.
func TestReferencesOneRequest(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"
	obj := map[string]string{}
	for i := range 20 {
		obj[fmt.Sprintf("K%d", i)] = fmt.Sprintf("value-%d", i)
	}
	text, _ := json.Marshal(obj)
	var (
		mu   sync.Mutex
		seen []getSecretValueRequest
	)
	fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, n int64) {
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		writeSecret(w, "app", string(text))
	})
	var extra []string
	want := map[string]string{}
	for i := range 20 {
		// Three spellings of one version: the same request.
		suffix := []string{":K%d", ":K%d::", ":K%d:"}[i%3]
		extra = append(extra, fmt.Sprintf("REF_%d=%s"+suffix, i, arn, i))
		want[fmt.Sprintf("REF_%d", i)] = fmt.Sprintf("value-%d", i)
	}
	extra = append(extra, "WHOLE="+arn, "SECRET_ID="+arn)
	want["WHOLE"] = string(text)
	want["K7"] = "value-7"
	got := refChild(t, fake.env(t, extra...))
	refWant(t, got, want)
	mu.Lock()
	defer mu.Unlock()
	if n := fake.requests.Load(); n != 1 {
		t.Errorf("%d requests for one secret version, want 1: %+v", n, seen)
	}
}

// TestReferenceErrors covers each way a reference can fail: exit 125 before
// the command runs, one line naming the variable and the secret, never the
// value in any encoding.
func TestReferenceErrors(t *testing.T) {
	t.Parallel()
	const canary = `refC4n4ry<&>"/`
	obj := createSecret(t, "us-east-1", secretName(t, "obj"), `{"user":"`+strings.ReplaceAll(canary, `"`, `\"`)+`"}`)
	plain := createSecret(t, "us-east-1", secretName(t, "plain"), "not json "+canary)
	out, err := smClient(t, "us-east-1").CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(secretName(t, "binary")), SecretBinary: []byte("binary " + canary),
	})
	if err != nil {
		t.Fatalf("creating a binary secret: %v", err)
	}
	binary := *out.ARN

	tests := []struct {
		name   string
		env    []string
		secret string // the secret the message must name
		want   string
	}{
		{"json-key absent", []string{"DB_PASSWORD=" + obj + ":password::"}, obj, `has no key "password"`},
		{"json-key on a plain-text secret", []string{"DB_PASSWORD=" + plain + ":password::"}, plain, `json-key "password" needs a JSON object`},
		{"binary-only secret", []string{"DB_PASSWORD=" + binary}, binary, "only SecretBinary"},
		{"binary-only secret with a json-key", []string{"DB_PASSWORD=" + binary + ":password::"}, binary, "only SecretBinary"},
		{"unknown version stage", []string{"DB_PASSWORD=" + obj + ":user:NOPE:"}, obj, "NOPE"},
		{"unknown version id", []string{"DB_PASSWORD=" + obj + ":user::00000000-0000-0000-0000-000000000000"}, obj, "version not found"},
		{"unknown secret", []string{"DB_PASSWORD=" + partialARN(obj) + "-nope"}, partialARN(obj) + "-nope", "not found"},
		{"malformed reference", []string{"DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret"}, "arn:aws:secretsmanager:us-east-1:123456789012:secret", "--no-references"},
		{"one bad reference among good ones", []string{"GOOD=" + obj + ":user::", "DB_PASSWORD=" + obj + ":password::"}, obj, `has no key "password"`},
	}
	forms := []string{canary, jsonEscaped(canary), base64.StdEncoding.EncodeToString([]byte(canary)), "refC4n4ry"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, withEnv(baseEnv(t), tc.env...), "", "--", "sh", "-c", "echo the command ran")
			if res.Code != 125 {
				t.Errorf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
			}
			if res.Stdout != "" {
				t.Errorf("stdout %q: the command must not run", res.Stdout)
			}
			line := strings.TrimSuffix(res.Stderr, "\n")
			t.Log(line)
			if !strings.HasPrefix(line, "secretenv: ") || strings.Contains(line, "\n") {
				t.Errorf("stderr %q is not one secretenv: line", res.Stderr)
			}
			for _, part := range []string{"DB_PASSWORD", tc.secret, tc.want} {
				if !strings.Contains(line, part) {
					t.Errorf("stderr %q does not name %q", line, part)
				}
			}
			for _, f := range forms {
				if strings.Contains(res.Stderr+res.Stdout, f) {
					t.Errorf("output repeats the secret value (as %q): %q", f, res.Stderr)
				}
			}
		})
	}
}

// TestManyReferencesToABrokenSecret keeps the error one line when twenty
// variables reference a secret that cannot be read.
func TestManyReferencesToABrokenSecret(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + secretName(t, "missing")
	var env []string
	for i := range 20 {
		env = append(env, fmt.Sprintf("V%02d=%s:k%d::", i, arn, i))
	}
	res := runSecretenv(t, withEnv(baseEnv(t), env...), "", "--", "true")
	if res.Code != 125 {
		t.Fatalf("exit %d, want 125; stderr %q", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "V00, V01, V02 and 17 more: "+arn) || strings.Count(res.Stderr, "\n") != 1 {
		t.Errorf("stderr %q; want one line naming V00, V01, V02 and 17 more, and the secret", res.Stderr)
	}
}

// jsonEscaped is s as it would appear inside a JSON string.
func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
