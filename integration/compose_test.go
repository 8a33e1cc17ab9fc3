package integration

import (
	"encoding/json"
	"strings"
	"testing"
)

// rdsPassword holds every character that means something in a URL, and a
// space: only percent-encoding carries it through DATABASE_URL.
const rdsPassword = "p@ss:w/rd?#&=%+ x"

// rdsSecret is shaped as an RDS-managed secret: lower-case keys.
func rdsSecret(t *testing.T) string {
	b, _ := json.Marshal(map[string]string{
		"username": "app user", "password": rdsPassword, "host": "db.example",
		"port": "5432", "dbname": "app", "engine": "postgres",
	})
	return string(b)
}

// splitURL runs python3 as the child: it splits DATABASE_URL as a Postgres
// driver would and prints user, password, host, port and path.
var splitURL = []string{"python3", "-c", `import json, os, urllib.parse as u
p = u.urlsplit(os.environ["DATABASE_URL"])
print(json.dumps([u.unquote(p.username), u.unquote(p.password), p.hostname, p.port, p.path]))`}

func wantSplit(t *testing.T, out string) {
	t.Helper()
	var got []any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("child printed %q: %v", out, err)
	}
	want := []any{"app user", rdsPassword, "db.example", float64(5432), "/app"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d of DATABASE_URL split to %v, want %v", i, got[i], want[i])
		}
	}
}

// TestComposeRDS proves the RDS recipe: the managed secret untouched, its
// lower-case keys composed into a URL that a real URL parser splits back to
// the exact password, from SECRET_ID and from single-key references, by
// flag and by environment twin.
func TestComposeRDS(t *testing.T) {
	t.Parallel()
	name := secretName(t, "rds")
	arn := createSecret(t, "us-east-1", name, rdsSecret(t))
	const url = "postgres://${username|url}:${password|url}@${host}:${port}/${dbname}"
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"SECRET_ID and --set", []string{"SECRET_ID=" + name}, []string{"--set", "DATABASE_URL=" + url}},
		{"SECRET_ID and the twin", []string{"SECRET_ID=" + name, "SECRETENV_SET_DATABASE_URL=" + url}, nil},
		{"single-key references", []string{
			"DB_USER=" + arn + ":username::", "DB_PASS=" + arn + ":password::",
			"SECRETENV_SET_DATABASE_URL=postgres://${DB_USER|url}:${DB_PASS|url}@db.example:5432/app",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runOK(t, withEnv(baseEnv(t), tc.env...), "", append(append(tc.args, "--"), splitURL...)...)
			wantSplit(t, res.Stdout)
		})
	}
}

// TestCompose covers the template rules as the child sees them: $$, a
// secret's "${...}" left as data, a --set winning over the environment,
// templates seeing the merged environment (TestComposeErrors: never each
// other's results).
func TestCompose(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"password":"pw","NOTE":"${password}","DATABASE_URL":"from-secret"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name, "DATABASE_URL=from-env", "BASE=/b")
	got := childEnv(t, env,
		"--set", "PRICE=$$5 ${password}",
		"--set", "DATABASE_URL=db://${password|url}",
		"--set", "B=${BASE}/x")
	wantVars(t, got, map[string]string{
		"PRICE":        "$5 pw",
		"NOTE":         "${password}", // a secret's value is data, never expanded
		"DATABASE_URL": "db://pw",     // the operator's --set wins over the environment and the secret
		"B":            "/b/x",
		"password":     "pw", // the parts stay, as every key of a secret does
	})
}

// TestComposeErrors proves that a bad template fails closed, 125, the
// command never run, with one line naming the template's variable.
func TestComposeErrors(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"password":"s3cr3t-v4lue","username":"u"}`)
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown variable", nil, []string{"--set", "URL=x${password}${NOPE}"}, "secretenv: --set URL: ${NOPE} is not set; add it to the secret or the environment\n"},
		{"unknown variable, twin", []string{"SECRETENV_SET_URL=${NOPE}"}, nil, "secretenv: SECRETENV_SET_URL: ${NOPE} is not set"},
		{"malformed", nil, []string{"--set", "URL=${password"}, `secretenv: --set URL: malformed template at byte offset 0: "${" without a closing "}"`},
		{"lone dollar", nil, []string{"--set", "URL=a$b"}, "secretenv: --set URL: malformed template at byte offset 1"},
		{"unknown filter", nil, []string{"--set", "URL=${password|base64}"}, "secretenv: --set URL: malformed template"},
		{"malformed twin", []string{"SECRETENV_SET_URL=$"}, nil, "secretenv: SECRETENV_SET_URL: malformed template at byte offset 0"},
		{"refused name", nil, []string{"--set", "LD_PRELOAD=${password}"}, "secretenv: --set LD_PRELOAD: key LD_PRELOAD changes how programs load code and is refused; allow it with --allow-key LD_PRELOAD"},
		{"refused name, twin", []string{"SECRETENV_SET_BASH_ENV=${password}"}, nil, "secretenv: SECRETENV_SET_BASH_ENV: key BASH_ENV"},
		{"another template's result", nil, []string{"--set", "A=${B}", "--set", "B=x"}, "secretenv: --set A: ${B} is not set"},
		{"no =", nil, []string{"--set", "URL"}, "secretenv: --set takes NAME=TEMPLATE"},
		{"name that is no name", nil, []string{"--set", "s3cr3t-v4lue=x"}, "secretenv: --set: the text before \"=\" is not a variable name"},
		{"twice", nil, []string{"--set", "U=a", "--set", "U=b"}, "secretenv: --set U is given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name}, tc.env...)...)
			res := runSecretenv(t, env, "", append(tc.args, "--", "sh", "-c", "echo STARTED")...)
			if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") {
				t.Errorf("exit %d, stdout %q; want 125 and the command not run", res.Code, res.Stdout)
			}
			if !strings.HasPrefix(res.Stderr, tc.want) || strings.Count(res.Stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", res.Stderr, tc.want)
			}
			if strings.Contains(res.Stderr, "s3cr3t-v4lue") {
				t.Errorf("stderr holds a value: %q", res.Stderr)
			}
		})
	}
}

// TestComposeBeforeAnyRequest proves a malformed template costs no
// request: the endpoint is a closed port, and the error is the template's.
func TestComposeBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	env := withEnv(baseEnv(t), "SECRET_ID=app", "AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:1")
	res := runSecretenv(t, env, "", "--set", "URL=${", "--", "true")
	if res.Code != 125 || !strings.HasPrefix(res.Stderr, "secretenv: --set URL: malformed template") {
		t.Errorf("exit %d, stderr %q; want 125 naming the template", res.Code, res.Stderr)
	}
}

// TestComposeSecretKeyIsNoTemplate proves a secret cannot carry a template
// or a file setting: such a key is refused, so a secretenv the command
// starts cannot read one either.
func TestComposeSecretKeyIsNoTemplate(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"SECRETENV_SET_URL", "SECRETENV_FILE_KEY"} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, `{"`+key+`":"/tmp/x","A":"1"}`)
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "sh", "-c", "echo STARTED")
			if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") || !strings.Contains(res.Stderr, "key "+key+" is a secretenv setting") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 125 refusing the key", res.Code, res.Stdout, res.Stderr)
			}
		})
	}
}

// TestComposeCheckExport proves check names a composed variable's sources
// (names only) and export prints its value, which --require sees.
func TestComposeCheckExport(t *testing.T) {
	t.Parallel()
	name := secretName(t, "rds")
	createSecret(t, "us-east-1", name, `{"username":"u","password":"p w"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name, "SECRETENV_SET_DATABASE_URL=pg://${username}:${password|url}@h/db")
	res := runOK(t, env, "", "--require", "DATABASE_URL", "check")
	if !strings.Contains(res.Stdout, "DATABASE_URL  built by SECRETENV_SET_DATABASE_URL from username, password") || strings.Contains(res.Stdout, "p w") || strings.Contains(res.Stdout, "p%20w") {
		t.Errorf("check printed %q", res.Stdout)
	}
	res = runOK(t, env, "", "export", "--format", "json")
	var vals map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &vals); err != nil {
		t.Fatal(err)
	}
	if vals["DATABASE_URL"] != "pg://u:p%20w@h/db" {
		t.Errorf("export gave DATABASE_URL=%q", vals["DATABASE_URL"])
	}
}
