package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// canary is planted in secrets and responses; no output of secretenv may
// hold it in any form. Its <, > and & make its JSON-escaped form differ from
// the raw one.
const canary = "cAnArY<7f3kQ9xWm2>&zP"

// canaryForms are the ways a leaked canary could show up: raw, JSON- and
// Go-escaped, a distinctive substring, and base64 (standard and URL
// alphabets) at each of the three alignments it can have inside a longer
// encoded value.
func canaryForms() []string {
	j, _ := json.Marshal(canary)
	forms := []string{canary, string(j[1 : len(j)-1]), fmt.Sprintf("%q", canary), "7f3kQ9xW"}
	for pad := range 3 {
		text := []byte(strings.Repeat("\x00", pad) + canary)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			s := enc.EncodeToString(text)
			forms = append(forms, s[4:len(s)-4]) // the part no neighbour can change
		}
	}
	return forms
}

// canarySetup prepares one failure and returns the environment and the
// flags that reach it.
type canarySetup func(t *testing.T) (env []string, args []string)

// inMoto stores text as the secret in moto.
func inMoto(text string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, text)
		return withEnv(baseEnv(t), "SECRET_ID="+name), nil
	}
}

// inMotoWith is inMoto with extra settings.
func inMotoWith(text string, extra ...string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		env, args := inMoto(text)(t)
		return withEnv(env, extra...), args
	}
}

// fromFakeIDs is fromFake for a SECRET_ID list.
func fromFakeIDs(ids string, handle func(w http.ResponseWriter)) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		env, args := fromFake(handle)(t)
		return withEnv(env, "SECRET_ID="+ids), args
	}
}

// fromFake answers every request with handle, under a short deadline for
// the faults that last until it.
func fromFake(handle func(w http.ResponseWriter)) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) { handle(w) })
		return fake.env(t, "SECRET_ID=app"), []string{"--timeout", "1s"}
	}
}

// awsError answers with an AWS error whose message and extra field hold
// the canary, as an error body may quote a request.
func awsError(status int, code string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": "bad value " + canary, "Message": canary})
	}
}

// awsErrorMessage is awsError with message as the error's message.
func awsErrorMessage(status int, code, message string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
	}
}

// raw answers status with body as it is.
func raw(status int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

var (
	longKey = strings.Repeat("k", 64) + canary // quoteKey once showed 64 bytes of a bad key
	big     = strings.Repeat("v", 200<<10) + canary
)

// canaryCases are the failure paths, each with the canary in the secret or
// the response.
var canaryCases = []struct {
	name  string
	setup canarySetup
}{
	{"JSON truncated in a string", inMoto(`{"A":"` + canary)},
	{"JSON bare word as value", inMoto(`{"A":` + canary + `}`)},
	{"JSON trailing comma", inMoto(`{"` + canary + `":1,}`)},
	{"JSON trailing comma on its own line", inMoto("{\n\"A\": \"" + canary + "\",\n\n}")},
	{"JSON trailing comma in a nested array", inMoto(`{"A":["` + canary + `",]}`)},
	{"JSON bad escape", inMoto(`{"A":"` + canary + `\q"}`)},
	{"JSON control character in string", inMoto("{\"A\":\"" + canary + "\x01\"}")},
	{"JSON data after the object", inMoto(`{"A":"x"}` + canary)},
	{"JSON string secret", inMoto(`"` + canary + `"`)},
	{"bare string secret", inMoto(canary)},
	{"array secret", inMoto(`["` + canary + `"]`)},
	{"number secret", inMoto(`12345`)},
	{"bad key", inMoto(`{"bad-key":"` + canary + `"}`)},
	{"long bad key", inMoto(`{"` + longKey + `":"x"}`)},
	// A key that is no variable name may be a value pasted where a key
	// belongs: no part of it is shown.
	{"a value as a key", inMoto(`{"OK":"1","` + canary + `":""}`)},
	{"a value as a key, twice", inMoto(`{"` + canary + `":"1","` + canary + `":"2"}`)},
	{"a value as a key in a template", templateFile("t.json", `{"`+canary+`":""}`, `{"A":"x"}`)},
	{"NUL in value", inMoto(`{"A":"` + canary + `\u0000"}`)},
	{"lone surrogate", inMoto(`{"A":"` + canary + `\ud800` + canary + `"}`)},
	{"lone surrogate in a key", inMoto(`{"` + canary + `\udc00":"` + canary + `"}`)},
	{"byte-order mark", inMoto("\ufeff" + `{"A":"` + canary + `"}`)},
	{"duplicate key", inMoto(`{"A":"` + canary + `","A":"` + canary + `2"}`)},
	{"denied key", inMoto(`{"LD_PRELOAD":"` + canary + `"}`)},
	{"denied key among valid ones", inMoto(`{"OK":"` + canary + `","BASH_ENV":"` + canary + `"}`)},
	{"denied Python exploit", inMoto(`{"PYTHONWARNINGS":"all:0:` + canary + `:0:0","BROWSER":"` + canary + `"}`)},
	{"denied PATH", inMoto(`{"PATH":"/` + canary + `","OK":"` + canary + `"}`)},
	{"denied prefix in any case", inMoto(`{"Npm_Config_Script_Shell":"` + canary + `"}`)},
	{"undeclared key", withArgs(inMoto(`{"A":"`+canary+`","EXTRA":"`+canary+`"}`), "--only-key", "A")},
	{"undeclared key, declared by a template of values", templateFile(".env.example", "A="+canary+"\n", `{"A":"`+canary+`","EXTRA":"`+canary+`"}`)},
	{"template line that is not NAME=value", templateFile(".env.example", "A=1\n"+canary+" x\n", `{"A":"x"}`)},
	{"template with an open quote", templateFile(".env.example", `A="`+canary+"\n", `{"A":"x"}`)},
	{"template with every problem listed", templateFile(".env.example", "A=$"+canary+"\n"+canary+" x\nB=${"+canary+"}\nC=ab$"+canary+"\nD=\"\\q"+canary+"\"\n", `{"A":"x"}`)},
	{"template of truncated JSON", templateFile("t.json", `{"A":"`+canary, `{"A":"x"}`)},
	{"long template key that is no name", templateFile("t.json", `{"`+longKey+`":"`+canary+`"}`, `{"A":"x"}`)},
	{"E2BIG one variable", fromFake(func(w http.ResponseWriter) {
		// Secrets Manager stores at most 64 KiB; a server that sends
		// more must still not leak it.
		b, _ := json.Marshal(map[string]string{"BIG": big})
		writeSecret(w, "app", string(b))
	})},
	{"E2BIG environment", e2bigByReferences},
	{"SecretBinary", secretBinary},
	{"reference to a missing json-key", referenceTo(`{"A":"`+canary+`"}`, "MISSING")},
	{"json-key of a non-object", referenceTo(canary, "A")},
	{"json-key of malformed JSON", referenceTo(`{"A":"`+canary, "A")},
	{"reference holding NUL", referenceTo(`{"A":"`+canary+`\u0000"}`, "A")},
	{"AccessDeniedException", fromFake(awsError(400, "AccessDeniedException"))},
	// The denial's line names the caller, from STS (moto): the message
	// is searched for KMS, never shown.
	{"AccessDeniedException from KMS, with the caller", fromFake(awsErrorMessage(400, "AccessDeniedException", "Access to KMS is not allowed "+canary))},
	{"AccessDeniedException, STS unreachable", func(t *testing.T) ([]string, []string) {
		env, args := fromFake(awsError(400, "AccessDeniedException"))(t)
		return withEnv(env, "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"), args
	}},
	{"ResourceNotFoundException", fromFake(awsError(400, "ResourceNotFoundException"))},
	{"DecryptionFailure", fromFake(awsError(400, "DecryptionFailure"))},
	{"InvalidRequestException", fromFake(awsError(400, "InvalidRequestException"))},
	{"ExpiredTokenException", fromFake(awsError(400, "ExpiredTokenException"))},
	{"unknown error code", fromFake(awsError(400, "SomethingNewException"))},
	{"InternalServiceError until the deadline", fromFake(awsError(500, "InternalServiceError"))},
	{"ThrottlingException until the deadline", fromFake(awsError(400, "ThrottlingException"))},
	{"HTML error page", fromFake(raw(502, "<html>"+canary+"</html>"))},
	{"4xx that is not JSON", fromFake(raw(403, canary))},
	{"garbled 200", fromFake(raw(200, `{"Name":"app","SecretString":"{\"A\":\"`+canary))},
	{"200 that is not JSON", fromFake(raw(200, canary))},
	{"200 with a wrong type", fromFake(raw(200, `{"Name":"app","SecretString":{"A":"`+canary+`"}}`))},
	{"no answer until the deadline", neverAnswers},
	{"several not found, each body quoting", fromFakeIDs("app,app2,app3", awsError(400, "ResourceNotFoundException"))},
	{"several failures of each kind", fromFakeIDs("app,app2", awsError(400, "AccessDeniedException"))},
	{"endpoint without a scheme", inMotoWith(`{"A":"`+canary+`"}`, "AWS_ENDPOINT_URL_SECRETS_MANAGER=127.0.0.1:1")},
	{"region that is not one", inMotoWith(`{"A":"`+canary+`"}`, "AWS_REGION=us_east/1")},
	{"FIPS with a custom endpoint", inMotoWith(`{"A":"`+canary+`"}`, "AWS_USE_FIPS_ENDPOINT=true")},
	{"credentials net/http cannot send", inMotoWith(`{"A":"`+canary+`"}`, "AWS_ACCESS_KEY_ID=AKIA\nEXAMPLE")},
	{"deadline before any request", inMotoWith(`{"A":"`+canary+`"}`, "SECRETENV_TIMEOUT=1ns")},
	{"binary for another architecture", func(t *testing.T) ([]string, []string) {
		env, args := inMoto(`{"A":"` + canary + `"}`)(t)
		return withEnv(env, "PATH="+foreignShell(t)), args
	}},
	{"credential endpoint error body", credentialsFrom(raw(403, `{"code":"`+canary+`","message":"`+canary+`"}`))},
	{"credential endpoint garbled", credentialsFrom(raw(200, `{"AccessKeyId":"`+canary))},
	{"required keys missing and empty", requiring(`{"A":"`+canary+`","EMPTY":""}`, "MISSING=", "EMPTY=")},
	{"required keys from a template holding the canary", requiring(`{"A":"`+canary+`"}`, "A=", "MISSING="+canary)},
	// Templates (--set) and files (--file): the canary in the secret next
	// to each failure, and in the operator's template text.
	{"template over an unset variable", withArgs(inMoto(`{"A":"`+canary+`"}`), "--set", "URL=x${A}${MISSING}")},
	{"twin template over an unset variable", inMotoWith(`{"A":"`+canary+`"}`, "SECRETENV_SET_URL=${A}${MISSING}")},
	{"malformed template", withArgs(inMoto(`{"A":"`+canary+`"}`), "--set", "URL=${A")},
	{"malformed template holding the canary", withArgs(inMoto(`{"A":"x"}`), "--set", "URL="+canary+"${"+canary+"}")},
	{"template of a refused name", withArgs(inMoto(`{"A":"`+canary+`"}`), "--set", "LD_PRELOAD=${A}")},
	{"template key in a secret", inMoto(`{"SECRETENV_SET_URL":"` + canary + `"}`)},
	{"file of an unset variable", withArgs(inMoto(`{"A":"`+canary+`"}`), "--file", "MISSING=/tmp/i21-never")},
	{"file to a symlink", fileTo(`{"A":"`+canary+`"}`, "link")},
	{"file to a missing directory", fileTo(`{"A":"`+canary+`"}`, "missing/a")},
	// Parameter Store: values in moto, and faults of its own fake.
	{"parameter under a path with a bad name", inPath("db.url", canary)},
	{"parameter under a path that is a loader key", inPath("ld-preload", canary)},
	{"parameters under a path making one key", inPath("db-url", canary, "db_url", canary+"2")},
	{"parameter holding NUL", fromSSM("DB", raw(200, `{"InvalidParameters":[],"Parameters":[{"Name":"/app/db","ARN":"`+canaryParam+`","Type":"SecureString","Value":"`+canary+`\u0000"}]}`))},
	{"parameter AccessDeniedException", fromSSM("DB", awsError(400, "AccessDeniedException"))},
	{"parameter path AccessDeniedException", fromSSM("SECRET_ID", awsError(400, "AccessDeniedException"))},
	{"parameter ThrottlingException until the deadline", fromSSM("DB", awsError(400, "ThrottlingException"))},
	{"parameter HTML error page", fromSSM("DB", raw(502, "<html>"+canary+"</html>"))},
	{"parameter garbled 200", fromSSM("DB", raw(200, `{"Parameters":[{"Name":"/app/db","Value":"`+canary))},
	{"parameter path garbled 200", fromSSM("SECRET_ID", raw(200, `{"Parameters":[{"Name":"/app/K","Value":"`+canary))},
}

// TestNoCanaryLeaks walks every failure path with a canary in the secret or
// the response, plainly and in each verbose mode, and searches all output
// for it. Every path must also fail closed: 125, the command never run.
func TestNoCanaryLeaks(t *testing.T) {
	t.Parallel()
	// execOnly are failures that only execve reports, so check, which
	// never execs, does not see them.
	execOnly := map[string]bool{"E2BIG one variable": true, "E2BIG environment": true, "binary for another architecture": true,
		"file to a symlink": true, "file to a missing directory": true} // check writes no file
	// notExecutable fail after the secrets loaded, when execve refuses the
	// command: 126, as GNU env.
	notExecutable := map[string]bool{"binary for another architecture": true}
	modes := []struct {
		name string
		env  []string
		args []string
	}{
		{"plain", nil, []string{"--", "sh", "-c", "echo STARTED"}},
		{"verbose", nil, []string{"--verbose", "--", "sh", "-c", "echo STARTED"}},
		{"SECRETENV_LOG=debug", []string{"SECRETENV_LOG=debug"}, []string{"--", "sh", "-c", "echo STARTED"}},
		{"check verbose", nil, []string{"--verbose", "check"}},
	}
	forms := canaryForms()
	for _, tc := range canaryCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, args := tc.setup(t)
			for _, mode := range modes {
				if execOnly[tc.name] && mode.name == "check verbose" {
					continue
				}
				res := runSecretenv(t, withEnv(env, mode.env...), "", append(append([]string(nil), args...), mode.args...)...)
				want := 125
				if notExecutable[tc.name] {
					want = 126
				}
				if res.Code != want || strings.Contains(res.Stdout, "STARTED") {
					t.Errorf("%s: exit %d, stdout %q; want %d and the command not run", mode.name, res.Code, res.Stdout, want)
				}
				if !strings.Contains(res.Stderr, "secretenv: ") {
					t.Errorf("%s: no error line in %q", mode.name, res.Stderr)
				}
				out := res.Stdout + res.Stderr
				for _, f := range forms {
					if strings.Contains(out, f) {
						t.Errorf("%s: output holds the canary as %q:\n%s", mode.name, f, out)
					}
				}
				if mode.name == "plain" {
					checkOneLine(t, res.Stderr)
				}
				if mode.name != "plain" && strings.Contains(out, "SDK ") {
					t.Errorf("%s: the SDK logged:\n%s", mode.name, out) // its log lines start "SDK <time> DEBUG"
				}
			}
		})
	}
}

// canaryParam is the parameter the SSM fault cases reference.
const canaryParam = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"

// inPath stores each name and value pair as a parameter under a path of
// its own in moto, and loads the path.
func inPath(nameValues ...string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		path := paramPath(t)
		putParameter(t, "us-east-1", path+"/ok", "fine", types.ParameterTypeString)
		for i := 0; i < len(nameValues); i += 2 {
			putParameter(t, "us-east-1", path+"/"+nameValues[i], nameValues[i+1], types.ParameterTypeSecureString)
		}
		return ssmEnv(t, motoURL, "SECRET_ID=ssm:"+path), nil
	}
}

// fromSSM answers every Parameter Store request with handle, under a short
// deadline. via is DB for a reference to canaryParam, SECRET_ID for a path.
func fromSSM(via string, handle func(w http.ResponseWriter)) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		fake := startSSMProxy(t, func(w http.ResponseWriter, _ ssmCall, _ int) bool { handle(w); return true })
		source := "DB=" + canaryParam
		if via == "SECRET_ID" {
			source = "SECRET_ID=ssm:/app"
		}
		return ssmEnv(t, fake.URL, source), []string{"--timeout", "1s"}
	}
}

// neverAnswers sends headers, then nothing until the test ends.
func neverAnswers(t *testing.T) ([]string, []string) {
	release := make(chan struct{})
	setup := fromFake(func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-release
	})
	env, args := setup(t)
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	return env, args
}

// e2bigByReferences makes the environment too large for execve: each value
// is within Secrets Manager's 64 KiB, but forty of them exceed the 2 MiB
// Linux allows in all (a quarter of the 8 MiB stack limit).
func e2bigByReferences(t *testing.T) ([]string, []string) {
	arn := createSecret(t, "us-east-1", secretName(t, "big"), strings.Repeat("v", 60<<10)+canary)
	env := baseEnv(t)
	for i := range 40 {
		env = append(env, fmt.Sprintf("BIG_%d=%s", i, arn))
	}
	return env, nil
}

// secretBinary stores the canary as a binary secret, which secretenv does
// not read.
func secretBinary(t *testing.T) ([]string, []string) {
	name := secretName(t, "binary")
	_, err := smClient(t, "us-east-1").CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretBinary: []byte(`{"A":"` + canary + `"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return withEnv(baseEnv(t), "SECRET_ID="+name), nil
}

// referenceTo stores text in moto and references its json-key from DB.
func referenceTo(text, key string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		arn := createSecret(t, "us-east-1", secretName(t, "ref"), text)
		return withEnv(baseEnv(t), "DB="+arn+":"+key+"::"), nil
	}
}

// requiring stores text in moto and requires the keys of a .env.example
// whose lines are given, with --require-from and --require alike.
func requiring(text string, lines ...string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		env, _ := inMoto(text)(t)
		example := filepath.Join(t.TempDir(), ".env.example")
		writeFile(t, example, strings.Join(lines, "\n")+"\n")
		name, _, _ := strings.Cut(lines[0], "=")
		return env, []string{"--require-from", example, "--require", name}
	}
}

// credentialsFrom gets credentials from a container endpoint answering with
// handle.
func credentialsFrom(handle func(w http.ResponseWriter)) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		creds := startCredServer(t, func(w http.ResponseWriter, _ *http.Request) { handle(w) })
		env := withEnv(baseEnv(t), append(noStaticKeys, "SECRET_ID=app",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI="+creds.URL, "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok")...)
		return env, []string{"--timeout", "1s"}
	}
}

// TestNoCanaryLeaksManage runs diff and list through every failure path of
// TestNoCanaryLeaks: diff against a file, plainly, verbose and with --keys,
// and list under the secret's name as prefix. diff may also end 0 or 1 (a key
// the entrypoint refuses is compared, a value over what exec takes is fine,
// required keys are no concern of diff), and list 0 (it reads no value, so a bad one cannot fail it); on every
// path no output holds the canary.
func TestNoCanaryLeaksManage(t *testing.T) {
	t.Parallel()
	forms := canaryForms()
	for _, tc := range canaryCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, args := tc.setup(t)
			id := secretOf(env)
			file := filepath.Join(t.TempDir(), "other.env")
			writeFile(t, file, "A=other\n")
			runs := []struct {
				name  string
				args  []string
				codes []int
			}{
				{"diff", []string{"diff", id, file}, []int{0, 1, 125}},
				{"diff verbose --keys", []string{"diff", "--verbose", file, id, "--keys"}, []int{0, 1, 125}},
				{"list verbose", []string{"list", "--verbose", strings.TrimPrefix(id, "arn:")}, []int{0, 125}},
			}
			for _, run := range runs {
				if strings.HasPrefix(id, "arn:") && run.name == "list verbose" {
					continue // an ARN is no name prefix
				}
				res := runSecretenv(t, env, "", append(append([]string(nil), args...), run.args...)...)
				if !slices.Contains(run.codes, res.Code) {
					t.Errorf("%s: exit %d, want one of %v; stderr %q", run.name, res.Code, run.codes, res.Stderr)
				}
				if res.Code == 125 && run.name == "diff" {
					checkOneLine(t, res.Stderr)
				}
				out := res.Stdout + res.Stderr
				for _, f := range forms {
					if strings.Contains(out, f) {
						t.Errorf("%s: output holds the canary as %q:\n%s", run.name, f, out)
					}
				}
				if strings.Contains(out, "SDK ") {
					t.Errorf("%s: the SDK logged:\n%s", run.name, out)
				}
			}
		})
	}

	// A diff that succeeds prints names, never values, on either side,
	// unless --show-values asks: then the canary must show, or this test
	// would prove nothing.
	t.Run("diff output", func(t *testing.T) {
		t.Parallel()
		name := secretName(t, "app")
		createSecret(t, "us-east-1", name, `{"A":"`+canary+`","B":"same","ONLY":"`+canary+`"}`)
		file := filepath.Join(t.TempDir(), "app.json")
		writeFile(t, file, `{"A":"x`+canary+`","B":"same","FILE_ONLY":"`+canary+`"}`)
		env := baseEnv(t)
		for _, args := range [][]string{{name, file}, {file, name, "--verbose"}, {"--keys", name, file}} {
			res := runSecretenv(t, env, "", append([]string{"diff"}, args...)...)
			if res.Code != 1 || !strings.Contains(res.Stdout, "differs: A") && args[0] != "--keys" {
				t.Errorf("diff %q: exit %d, stdout %q", args, res.Code, res.Stdout)
			}
			for _, f := range forms {
				if strings.Contains(res.Stdout+res.Stderr, f) {
					t.Errorf("diff %q: output holds the canary as %q:\n%s%s", args, f, res.Stdout, res.Stderr)
				}
			}
		}
		res := runSecretenv(t, env, "", "diff", "--show-values", name, file)
		if res.Code != 1 || !strings.Contains(res.Stdout, strconv.Quote(canary)) {
			t.Errorf("--show-values: exit %d, stdout %q; want the canary shown", res.Code, res.Stdout)
		}
	})
}

// secretOf returns the secret a canary setup loads: SECRET_ID, else the
// secret of the first reference, without its json-key.
func secretOf(env []string) string {
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if name == "SECRET_ID" {
			return value
		}
		if strings.HasPrefix(value, "arn:aws:secretsmanager:") {
			f := strings.Split(value, ":")
			return strings.Join(f[:min(7, len(f))], ":")
		}
	}
	return "app"
}

// withArgs adds flags to a setup.
func withArgs(setup canarySetup, args ...string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		env, a := setup(t)
		return env, append(a, args...)
	}
}

// fileTo writes key A of a secret holding text with --file to name in a
// temporary directory, where "link" is a symbolic link.
func fileTo(text, name string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		dir := t.TempDir()
		if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		env, args := inMoto(text)(t)
		return env, append(args, "--file", "A="+filepath.Join(dir, name))
	}
}

// templateFile declares keys with an --only-keys-from template holding
// text, for a secret in moto holding secret.
func templateFile(name, text, secret string) canarySetup {
	return func(t *testing.T) ([]string, []string) {
		path := filepath.Join(t.TempDir(), name)
		writeFile(t, path, text)
		env, _ := inMoto(secret)(t)
		return env, []string{"--only-keys-from", path}
	}
}

// writeCase is one run of edit or put with the canary somewhere in the
// secret, the file, the editor's text or a response.
type writeCase struct {
	name  string
	code  int // the exit status the run must have
	setup func(t *testing.T) (env []string, stdin string, args []string)
}

// putFrom runs put with text on stdin (format json or dotenv) on a secret
// holding initial in moto ("" for none).
func putFrom(initial, format, text string, extra ...string) func(t *testing.T) ([]string, string, []string) {
	return func(t *testing.T) ([]string, string, []string) {
		name := secretName(t, "app")
		if initial != "" {
			createSecret(t, "us-east-1", name, initial)
		}
		return baseEnv(t), text, append([]string{"put", name, "--from", "-", "--format", format}, extra...)
	}
}

// editWith runs edit on a secret holding initial with an editor script.
func editWith(initial, script string, extra ...string) func(t *testing.T) ([]string, string, []string) {
	return func(t *testing.T) ([]string, string, []string) {
		name := secretName(t, "app")
		if initial != "" {
			createSecret(t, "us-east-1", name, initial)
		}
		env, _ := editEnv(t, editorScript(t, script))
		return withEnv(env, "CANARY="+canary), "", append([]string{"edit", name}, extra...)
	}
}

// writeFakeWith runs put against a fake holding a secret with the canary
// that answers writes with handle.
func writeFakeWith(exists bool, handle func(w http.ResponseWriter)) func(t *testing.T) ([]string, string, []string) {
	return func(t *testing.T) ([]string, string, []string) {
		text := ""
		if exists {
			text = `{"OLD":"` + canary + `"}`
		}
		fake := startWriteFake(t, text, handle)
		return fake.env(t), `{"NEW":"` + canary + `"}`, []string{"put", "app", "--from", "-", "--format", "json", "--yes", "--timeout", "1s"}
	}
}

// casFakeWith runs put against a casFake holding a secret with the canary,
// whose hook decides the compare-and-swap's answers.
func casFakeWith(hook func(f *casFake, op, stage string, n int) (int, string, bool)) func(t *testing.T) ([]string, string, []string) {
	return func(t *testing.T) ([]string, string, []string) {
		f := startCASFake(t, `{"OLD":"`+canary+`"}`, hook)
		return withEnv(baseEnv(t), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+f.URL), `{"NEW":"` + canary + `"}`, []string{"put", "app", "--from", "-", "--format", "json", "--yes", "--timeout", "1s"}
	}
}

// failCAS answers op (and, for UpdateSecretVersionStage, AWSCURRENT's move
// or the pending label's removal) with code, not carried out.
func failCAS(op string, move bool, code string) func(f *casFake, op, stage string, n int) (int, string, bool) {
	return func(f *casFake, o, stage string, _ int) (int, string, bool) {
		if o == op && (op != "UpdateSecretVersionStage" || (stage == "AWSCURRENT") == move) {
			return 400, code, false
		}
		return 0, "", true
	}
}

// readFails runs cmd (edit or put) against a fake whose every answer,
// the first read included, is handle.
func readFails(cmd string, handle func(w http.ResponseWriter)) func(t *testing.T) ([]string, string, []string) {
	return func(t *testing.T) ([]string, string, []string) {
		fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) { handle(w) })
		env, _ := editEnv(t, "true")
		env = withEnv(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+fake.URL)
		if cmd == "put" {
			return env, `{"A":"` + canary + `"}`, []string{"put", "app", "--from", "-", "--format", "json", "--yes", "--timeout", "1s"}
		}
		return env, "", []string{"edit", "app", "--yes", "--timeout", "1s"}
	}
}

// TestNoCanaryLeaksWrite walks edit's and put's failure paths, and their
// successes without --show-values, with the canary in every value, and
// searches all output for it, plainly and with --verbose.
func TestNoCanaryLeaksWrite(t *testing.T) {
	t.Parallel()
	longKey := strings.Repeat("k", 64) + canary
	old := `{"A":"` + canary + `1","B":"x"}`
	cases := []writeCase{
		// put: what it reads
		{"put: JSON truncated", 125, putFrom(old, "json", `{"A":"`+canary)},
		{"put: JSON bare word", 125, putFrom(old, "json", `{"A":`+canary+`}`)},
		{"put: JSON trailing comma", 125, putFrom(old, "json", `{"A":"`+canary+`",}`)},
		{"put: JSON trailing comma nested", 125, putFrom(old, "json", "{\"A\": {\"b\": \""+canary+"\",\n}}")},
		{"put: JSON bad escape", 125, putFrom(old, "json", `{"A":"`+canary+`\q"}`)},
		{"put: JSON data after", 125, putFrom(old, "json", `{"A":"x"}`+canary)},
		{"put: JSON not an object", 125, putFrom(old, "json", `"`+canary+`"`)},
		{"put: JSON duplicate key", 125, putFrom(old, "json", `{"A":"`+canary+`","A":"`+canary+`"}`)},
		{"put: JSON long bad key", 125, putFrom(old, "json", `{"`+longKey+`":"x"}`)},
		{"put: a value as a key", 125, putFrom(old, "json", `{"`+canary+`":""}`, "--yes")},
		{"put: a value as a key, twice", 125, putFrom(old, "json", `{"`+canary+`":"1",`+"\n"+`"`+canary+`":"2"}`, "--yes")},
		{"put: a value as a dotenv name", 125, putFrom(old, "dotenv", canary+"=x\n", "--yes")},
		{"put: a value as a key, not stored, to --delete-key", 125, putFrom(old, "json", `{"B":"y"}`, "--delete-key", canary, "--yes")},
		{"put: a stored value as a key deleted", 0, putFrom(`{"A":"1","`+canary+`":""}`, "json", `{"B":"y"}`, "--delete-key", canary, "--yes")},
		{"put: dotenv bad line", 125, putFrom(old, "dotenv", canary+"\n")},
		{"put: dotenv interpolation", 125, putFrom(old, "dotenv", `A="`+canary+`$X"`+"\n")},
		{"put: dotenv unknown escape", 125, putFrom(old, "dotenv", `A="`+canary+`\q"`+"\n")},
		{"put: dotenv unclosed quote", 125, putFrom(old, "dotenv", `A='`+canary+"\n")},
		{"put: dotenv text after quote", 125, putFrom(old, "dotenv", `A='x' `+canary+"\n")},
		{"put: dotenv, every problem listed", 125, putFrom(old, "dotenv", "A=${"+canary+"}\n"+canary+"\nB=ab$"+canary+"\nC=\""+canary+"$\"\nD='"+canary+"' "+canary+"\n"+strings.Repeat(canary+"\n", 12))},
		{"put: not UTF-8", 125, putFrom(old, "dotenv", "A='"+canary+"\xff'\n", "--yes")},
		{"put: NUL", 125, putFrom(old, "json", `{"A":"`+canary+`\u0000"}`, "--yes")},
		{"put: loader key", 125, putFrom(old, "json", `{"LD_PRELOAD":"`+canary+`"}`, "--yes")},
		{"put: too big", 125, putFrom(old, "json", `{"A":"`+strings.Repeat("v", 70000)+canary+`"}`, "--yes")},
		{"put: no terminal, no --yes", 125, putFrom(old, "json", `{"A":"`+canary+`2","C":"`+canary+`3"}`)},
		// put: what it finds stored
		{"put: stored secret not JSON", 125, putFrom(`{"A":"`+canary, "json", `{"B":"x"}`, "--yes")},
		{"put: stored secret not an object", 125, putFrom(`["`+canary+`"]`, "json", `{"B":"x"}`, "--yes")},
		// put: what AWS answers
		{"put: GetSecretValue AccessDenied", 125, readFails("put", awsError(400, "AccessDeniedException"))},
		{"put: GetSecretValue garbled 200", 125, readFails("put", raw(200, `{"Name":"app","SecretString":"{\"A\":\"`+canary))},
		{"put: GetSecretValue HTML page", 125, readFails("put", raw(502, "<html>"+canary+"</html>"))},
		{"edit: GetSecretValue AccessDenied", 125, readFails("edit", awsError(400, "AccessDeniedException"))},
		{"edit: GetSecretValue garbled 200", 125, readFails("edit", raw(200, `{"Name":"app","SecretString":"{\"A\":\"`+canary))},
		{"put: PutSecretValue AccessDenied", 125, writeFakeWith(true, awsError(400, "AccessDeniedException"))},
		{"put: PutSecretValue unknown code", 125, writeFakeWith(true, awsError(400, "SomethingNewException"))},
		{"put: PutSecretValue 500 until the deadline", 125, writeFakeWith(true, awsError(500, "InternalServiceError"))},
		{"put: PutSecretValue HTML page", 125, writeFakeWith(true, raw(502, "<html>"+canary+"</html>"))},
		{"put: PutSecretValue garbled 200", 125, writeFakeWith(true, raw(200, `{"Name":"`+canary))},
		{"put: CreateSecret error body", 125, writeFakeWith(false, awsError(400, "EncryptionFailure"))},
		{"put: CreateSecret exists", 125, writeFakeWith(false, awsError(400, "ResourceExistsException"))},
		// put: the compare-and-swap
		{"put: writer between the two calls", 125, casFakeWith(func(f *casFake, op, _ string, _ int) (int, string, bool) {
			if op == "PutSecretValue" {
				f.current, f.texts["other"] = "other", `{"OLD":"`+canary+`2","Z":"`+canary+`3"}`
			}
			return 0, "", true
		})},
		{"put: move of AWSCURRENT denied", 125, casFakeWith(failCAS("UpdateSecretVersionStage", true, "AccessDeniedException"))},
		{"put: written, label removal denied", 0, casFakeWith(failCAS("UpdateSecretVersionStage", false, "AccessDeniedException"))},
		{"put: move answer lost", 0, casFakeWith(func(f *casFake, op, stage string, n int) (int, string, bool) {
			if op == "UpdateSecretVersionStage" && stage == "AWSCURRENT" && n == 1 {
				return 500, "InternalServiceError", true
			}
			return 0, "", true
		})},
		{"put: CreateSecret lost its answer", 0, func(t *testing.T) ([]string, string, []string) {
			f := startCASFake(t, "", func(f *casFake, op, _ string, n int) (int, string, bool) {
				if op == "CreateSecret" && n == 1 {
					return 500, "InternalServiceError", true
				}
				return 0, "", true
			})
			return withEnv(baseEnv(t), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+f.URL), `{"NEW":"` + canary + `"}`, []string{"put", "app", "--from", "-", "--format", "json", "--yes", "--timeout", "1s"}
		}},
		// put: successes print names only
		{"put: written", 0, putFrom(old, "json", `{"A":"`+canary+`2","C":"`+canary+`3"}`, "--yes")},
		{"put: dry-run", 0, putFrom(old, "json", `{"A":"`+canary+`2","C":"`+canary+`3"}`, "--dry-run", "--delete-key", "B")},
		{"put: created", 0, putFrom("", "dotenv", "A='"+canary+"'\n", "--yes")},
		{"put: no changes", 0, putFrom(old, "json", old)},
		// edit
		{"edit: invalid JSON saved", 125, editWith(old, `printf '{"A": "%s"\n"B": 1}' "$CANARY" > "$1"`, "--yes")},
		{"edit: bare word saved", 125, editWith(old, `printf '{"A": %s}' "$CANARY" > "$1"`, "--yes")},
		{"edit: loader key saved", 125, editWith(old, `printf '{"BASH_ENV": "%s"}' "$CANARY" > "$1"`, "--yes")},
		{"edit: long bad key saved", 125, editWith(old, `printf '{"%s": "x"}' "`+longKey+`" > "$1"`, "--yes")},
		{"edit: a value as a key saved", 125, editWith(old, `printf '{"A": "1",\n"%s": ""}' "$CANARY" > "$1"`, "--yes")},
		{"edit: a value as a key saved twice", 125, editWith(old, `printf '{"%s": "1",\n"%s": "2"}' "$CANARY" "$CANARY" > "$1"`, "--yes")},
		{"edit: a stored value as a key removed", 0, editWith(`{"A":"1","`+canary+`":""}`, `printf '{"A": "1"}' > "$1"`, "--yes")},
		{"edit: lone surrogate in a key saved", 125, editWith(old, `printf '{"A": "1",\n"%s\\udc00": ""}' "$CANARY" > "$1"`, "--yes")},
		{"edit: not an object saved", 125, editWith(old, `printf '["%s"]' "$CANARY" > "$1"`, "--yes")},
		{"edit: no terminal, no --yes", 125, editWith(old, `printf '{"A": "%s2", "C": "%s3"}' "$CANARY" "$CANARY" > "$1"`)},
		{"edit: editor fails", 1, editWith(old, `printf '{"A": "%s2"}' "$CANARY" > "$1"; exit 3`, "--yes")},
		{"edit: stored secret not JSON", 125, editWith(`{"A":"`+canary, `exit 0`, "--yes")},
		{"edit: stored secret not JSON, still broken", 125, editWith(`{"A":"`+canary+`"`+"\n"+`"B":1}`, `printf '{"A": "%s",\n"B": }' "$CANARY" > "$1"`, "--yes")},
		{"edit: stored secret not JSON, repaired", 0, editWith(`{"A":"`+canary+`"`+"\n"+`"B":1}`, `printf '{"A": "%s",\n"B": 1}' "$CANARY" > "$1"`, "--yes")},
		{"put: PutSecretValue denied, with the caller", 125, writeFakeWith(true, awsErrorMessage(400, "AccessDeniedException", "KMS "+canary))},
		{"edit: written", 0, editWith(old, `printf '{"A": "%s2", "C": "%s3"}' "$CANARY" "$CANARY" > "$1"`, "--yes")},
		{"edit: created", 0, editWith("", `printf '{"A": "%s2"}' "$CANARY" > "$1"`, "--yes")},
		{"edit: no changes", 0, editWith(old, `exit 0`, "--yes")},
	}
	forms := canaryForms()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, verbose := range []bool{false, true} {
				t.Run(fmt.Sprintf("verbose=%v", verbose), func(t *testing.T) {
					t.Parallel()
					env, stdin, args := tc.setup(t)
					if verbose {
						args = append(args, "--verbose")
					}
					res := runSecretenv(t, env, stdin, args...)
					if res.Code != tc.code {
						t.Errorf("verbose %v: exit %d, want %d; stderr %q", verbose, res.Code, tc.code, res.Stderr)
					}
					if tc.code != 0 && !strings.Contains(res.Stderr, "secretenv: ") {
						t.Errorf("verbose %v: no error line in %q", verbose, res.Stderr)
					}
					out := res.Stdout + res.Stderr
					for _, f := range forms {
						if strings.Contains(out, f) {
							t.Errorf("verbose %v: output holds the canary as %q:\n%s", verbose, f, out)
						}
					}
					if !verbose && tc.code != 0 {
						stderr := res.Stderr
						if strings.HasPrefix(tc.name, "edit: stored secret not JSON") {
							// Its first line, before the editor,
							// says what is wrong with the stored text.
							_, stderr, _ = strings.Cut(stderr, "\n")
						}
						checkOneLine(t, stderr)
					}
					if verbose && strings.Contains(out, "SDK ") {
						t.Errorf("the SDK logged:\n%s", out)
					}
				})
			}
		})
	}
}

// TestNoCanaryInWatchLogs proves that the watch logs (each failed poll, each
// unusable new version, each restart, and --verbose's poll lines) never hold
// a secret value or a response body. Each case starts secretenv --watch
// --verbose on a good secret, makes the next poll meet the canary, waits for
// the log line, and searches all output.
func TestNoCanaryInWatchLogs(t *testing.T) {
	t.Parallel()
	type setup func(t *testing.T) (env, args []string, trigger func())
	inMoto := func(text string, refKey string) setup {
		return func(t *testing.T) ([]string, []string, func()) {
			name := secretName(t, "app")
			arn := createSecret(t, "us-east-1", name, `{"A":"ok"}`)
			env := withEnv(baseEnv(t), "SECRET_ID="+name)
			if refKey != "" {
				env = withEnv(baseEnv(t), "REF="+arn+":"+refKey+"::")
			}
			return env, nil, func() { putSecret(t, name, text) }
		}
	}
	// withArgs is a setup with secretenv flags added: --set and --file,
	// whose templates and files see the new version too.
	withArgs := func(base setup, args ...func(t *testing.T) string) setup {
		return func(t *testing.T) ([]string, []string, func()) {
			env, extra, trigger := base(t)
			for _, a := range args {
				extra = append(extra, a(t))
			}
			return env, extra, trigger
		}
	}
	arg := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	fileArg := func(t *testing.T) string { return "--file=A=" + filepath.Join(t.TempDir(), "a") }
	// fromFake serves a good secret at start-up; afterwards DescribeSecret
	// answers with fault, or, when fault is for GetSecretValue, reports a new
	// version whose fetch meets it.
	fromFake := func(op string, fault func(w http.ResponseWriter)) setup {
		return func(t *testing.T) ([]string, []string, func()) {
			var mu sync.Mutex
			seen := map[string]int{}
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				mu.Lock()
				seen[req.Op]++
				n := seen[req.Op]
				mu.Unlock()
				switch {
				case n > 1 && req.Op == op:
					fault(w)
				case req.Op == "DescribeSecret":
					writeDescribe(w, req.SecretId, fmt.Sprintf("00000000-0000-0000-0000-%012d", min(n, 2)))
				default:
					writeSecret(w, req.SecretId, `{"A":"ok"}`)
				}
			})
			return fake.env(t, "SECRET_ID=app"), []string{"--timeout", "1s"}, func() {}
		}
	}
	const (
		unused = "secretenv: watch: new version not used: "
		failed = "; the command keeps running\n"
	)
	cases := []struct {
		name  string
		setup setup
		want  string // the log line the case must reach
	}{
		{"JSON truncated in a string", inMoto(`{"A":"`+canary, ""), unused},
		{"JSON bare word as value", inMoto(`{"A":`+canary+`}`, ""), unused},
		{"JSON bad escape", inMoto(`{"A":"`+canary+`\q"}`, ""), unused},
		{"JSON data after the object", inMoto(`{"A":"x"}`+canary, ""), unused},
		{"bare string secret", inMoto(canary, ""), unused},
		{"bad key", inMoto(`{"bad-key":"`+canary+`"}`, ""), unused},
		{"NUL in value", inMoto(`{"A":"`+canary+`\u0000"}`, ""), unused},
		{"duplicate key", inMoto(`{"A":"`+canary+`","A":"`+canary+`2"}`, ""), unused},
		{"denied key", inMoto(`{"A":"x","LD_PRELOAD":"`+canary+`"}`, ""), unused},
		{"reference to a key now missing", inMoto(`{"B":"`+canary+`"}`, "A"), unused},
		{"good new value", inMoto(`{"A":"`+canary+`"}`, ""), "changed (A); restarting"},
		{"template over a key now missing", withArgs(inMoto(`{"B":"`+canary+`"}`, ""), arg("--set=URL=x://${A|url}@h")), unused},
		{"good new value through a template", withArgs(inMoto(`{"A":"`+canary+`"}`, ""), arg("--set=URL=x://${A|url}@h")), "restarting"},
		{"file of a key now missing", withArgs(inMoto(`{"B":"`+canary+`"}`, ""), fileArg), unused},
		{"good new value into a file", withArgs(inMoto(`{"A":"`+canary+`"}`, ""), fileArg), "restarting"},
		{"DescribeSecret AccessDeniedException", fromFake("DescribeSecret", awsError(400, "AccessDeniedException")), failed},
		{"DescribeSecret ThrottlingException", fromFake("DescribeSecret", awsError(400, "ThrottlingException")), failed},
		{"DescribeSecret HTML error page", fromFake("DescribeSecret", raw(502, "<html>"+canary+"</html>")), failed},
		{"DescribeSecret garbled 200", fromFake("DescribeSecret", raw(200, `{"Name":"app","VersionIdsToStages":{"`+canary)), failed},
		{"GetSecretValue of the new version garbled", fromFake("GetSecretValue", raw(200, `{"Name":"app","SecretString":"{\"A\":\"`+canary)), unused},
		{"GetSecretValue of the new version denied", fromFake("GetSecretValue", awsError(400, "AccessDeniedException")), unused},
	}
	forms := canaryForms()
	script := `trap 'exit 0' TERM; echo start; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, args, trigger := tc.setup(t)
			args = append(append(watchArgs("--verbose"), args...), "--", "sh", "-c", script)
			w := startWatching(t, env, args...)
			w.waitFor(t, w.stdout.String, "start")
			trigger()
			w.waitFor(t, w.stderr.String, tc.want)
			w.signal(t, syscall.SIGTERM)
			w.exit(t)
			out := w.stdout.String() + w.stderr.String()
			for _, f := range forms {
				if strings.Contains(out, f) {
					t.Errorf("output holds the canary as %q:\n%s", f, out)
				}
			}
			if strings.Contains(out, "SDK ") {
				t.Errorf("the SDK logged:\n%s", out)
			}
		})
	}
}

// TestNoCanaryInTemplate runs the template writer on secrets and files
// with the canary in every value, and in keys that are no names: its
// output, on success and on failure, never holds it.
func TestNoCanaryInTemplate(t *testing.T) {
	t.Parallel()
	pem := "-----BEGIN PRIVATE KEY-----\n" + canary + "\n-----END PRIVATE KEY-----"
	pemJSON, _ := json.Marshal(map[string]string{"KEY": pem, "A": canary})
	fromSecret := func(text string) func(t *testing.T) ([]string, string, []string) {
		return func(t *testing.T) ([]string, string, []string) {
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, text)
			return baseEnv(t), "", []string{"template", name}
		}
	}
	fromStdin := func(file, text string) func(t *testing.T) ([]string, string, []string) {
		return func(t *testing.T) ([]string, string, []string) {
			if file == "-" {
				return baseEnv(t), text, []string{"template", "--from", "-"}
			}
			path := filepath.Join(t.TempDir(), file)
			writeFile(t, path, text)
			return baseEnv(t), "", []string{"template", "--from", path}
		}
	}
	cases := []writeCase{
		{"a secret with a multi-line value", 0, fromSecret(string(pemJSON))},
		{"a .env with a multi-line value", 0, fromStdin("-", "KEY=\""+pem+"\"\nA='"+canary+"' # optional\n")},
		{"a .json file", 0, fromStdin("t.json", string(pemJSON))},
		{"a value as a key in a secret", 125, fromSecret(`{"A":"1","` + canary + `":"x"}`)},
		{"a value as a key in a file", 125, fromStdin("t.json", `{"`+canary+`":""}`)},
		{"a secret that is not JSON", 125, fromSecret(`{"A":"` + canary)},
		{"a .env with every problem", 125, fromStdin("-", "A=$"+canary+"\n"+canary+"\nB=\""+canary)},
		{"a secret denied", 125, func(t *testing.T) ([]string, string, []string) {
			fake := startFakeSM(t, func(w http.ResponseWriter, _ getSecretValueRequest, _ int64) {
				awsErrorMessage(400, "AccessDeniedException", canary)(w)
			})
			return fake.env(t), "", []string{"template", "app", "--timeout", "5s"}
		}},
	}
	forms := append(canaryForms(), "cAnArY", "PRIVATE KEY")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, stdin, args := tc.setup(t)
			res := runSecretenv(t, env, stdin, args...)
			if res.Code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", res.Code, tc.code, res.Stderr)
			}
			for _, f := range forms {
				if strings.Contains(res.Stdout+res.Stderr, f) {
					t.Errorf("output holds the canary as %q:\n%s%s", f, res.Stdout, res.Stderr)
				}
			}
			if tc.code != 0 {
				checkOneLine(t, res.Stderr)
			}
		})
	}
}
