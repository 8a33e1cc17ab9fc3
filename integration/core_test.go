package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// runOK runs secretenv and fails the test unless it exits 0.
func runOK(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	res := runSecretenv(t, env, stdin, args...)
	if res.Code != 0 {
		t.Fatalf("secretenv %q: exit %d, stderr %q", args, res.Code, res.Stderr)
	}
	return res
}

// childEnv runs `secretenv ARGS... -- env -0` and returns what the child saw.
func childEnv(t *testing.T, env []string, args ...string) map[string]string {
	t.Helper()
	res := runOK(t, env, "", append(args, "--", "env", "-0")...)
	return envOf(t, res.Stdout)
}

// wantVars asserts that got holds want, name by name; a "<unset>" value
// asserts that the name is absent.
func wantVars(t *testing.T, got, want map[string]string) {
	t.Helper()
	for _, name := range sortedNames(want) {
		v, ok := got[name]
		switch {
		case want[name] == "<unset>" && ok:
			t.Errorf("child saw %s=%q, want it unset", name, v)
		case want[name] != "<unset>" && !ok:
			t.Errorf("child did not see %s, want %q", name, want[name])
		case want[name] != "<unset>" && v != want[name]:
			t.Errorf("child saw %s=%q, want %q", name, v, want[name])
		}
	}
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// TestLayering proves the order of secrets: left to right, a later secret's
// key replaces an earlier one's, and --secret-id replaces SECRET_ID.
func TestLayering(t *testing.T) {
	t.Parallel()
	common := createSecret(t, "us-east-1", secretName(t, "common"), `{"LEVEL":"common","DB_HOST":"db.common","ONLY_COMMON":"c"}`)
	prod := createSecret(t, "us-east-1", secretName(t, "prod"), `{"LEVEL":"prod","DB_HOST":"db.prod","ONLY_PROD":"p"}`)
	other := createSecret(t, "us-east-1", secretName(t, "other"), `{"LEVEL":"other","ONLY_OTHER":"o"}`)
	commonName, prodName := secretName(t, "common"), secretName(t, "prod")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want map[string]string
	}{
		{"SECRET_ID list, later wins", []string{"SECRET_ID=" + commonName + "," + prodName}, nil,
			map[string]string{"LEVEL": "prod", "DB_HOST": "db.prod", "ONLY_COMMON": "c", "ONLY_PROD": "p"}},
		{"SECRET_ID list reversed", []string{"SECRET_ID=" + prodName + "," + commonName}, nil,
			map[string]string{"LEVEL": "common", "DB_HOST": "db.common", "ONLY_COMMON": "c", "ONLY_PROD": "p"}},
		{"ARNs and names mixed", []string{"SECRET_ID=" + common + "," + prodName + "," + other}, nil,
			map[string]string{"LEVEL": "other", "DB_HOST": "db.prod", "ONLY_COMMON": "c", "ONLY_PROD": "p", "ONLY_OTHER": "o"}},
		{"repeated --secret-id", []string{"-SECRET_ID"}, []string{"--secret-id", commonName, "--secret-id", prod},
			map[string]string{"LEVEL": "prod", "DB_HOST": "db.prod", "ONLY_COMMON": "c", "ONLY_PROD": "p", "SECRET_ID": "<unset>"}},
		{"--secret-id replaces SECRET_ID", []string{"SECRET_ID=" + other}, []string{"--secret-id", commonName},
			map[string]string{"LEVEL": "common", "ONLY_COMMON": "c", "ONLY_OTHER": "<unset>", "SECRET_ID": other}},
		{"the same secret twice", []string{"SECRET_ID=" + commonName + "," + prodName + "," + commonName}, nil,
			map[string]string{"LEVEL": "common", "DB_HOST": "db.common", "ONLY_PROD": "p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantVars(t, childEnv(t, withEnv(baseEnv(t), tc.env...), tc.args...), tc.want)
		})
	}
}

// TestOverride proves that the environment wins over secrets, a set but
// empty variable included, unless --override or SECRETENV_OVERRIDE=true.
func TestOverride(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"MODE":"secret","EMPTY":"secret","NEW":"secret"}`)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want map[string]string
	}{
		{"environment wins", []string{"MODE=env"}, nil, map[string]string{"MODE": "env", "NEW": "secret"}},
		{"set but empty counts as set", []string{"EMPTY="}, nil, map[string]string{"EMPTY": "", "NEW": "secret"}},
		{"--override", []string{"MODE=env", "EMPTY="}, []string{"--override"}, map[string]string{"MODE": "secret", "EMPTY": "secret"}},
		{"SECRETENV_OVERRIDE=true", []string{"MODE=env", "EMPTY=", "SECRETENV_OVERRIDE=true"}, nil, map[string]string{"MODE": "secret", "EMPTY": "secret"}},
		{"SECRETENV_OVERRIDE=false", []string{"MODE=env", "SECRETENV_OVERRIDE=false"}, nil, map[string]string{"MODE": "env"}},
		{"--override=false beats SECRETENV_OVERRIDE", []string{"MODE=env", "SECRETENV_OVERRIDE=true"}, []string{"--override=false"}, map[string]string{"MODE": "env"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name}, tc.env...)...)
			wantVars(t, childEnv(t, env, tc.args...), tc.want)
		})
	}
}

// valueCases are JSON values and the text a program must see for them.
var valueCases = []struct{ key, json, want string }{
	{"S_SPACES", `"  hello   world  "`, "  hello   world  "},
	{"S_QUOTES", `"it's \"quoted\" \\ back"`, `it's "quoted" \ back`},
	{"S_DOLLAR", `"$HOME ${PATH} $(id) ` + "`id`" + ` $1"`, "$HOME ${PATH} $(id) `id` $1"},
	{"S_NEWLINES", `"-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n\n"`, "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n\n"},
	{"S_EQUALS", `"a=b;c==d="`, "a=b;c==d="},
	{"S_UTF8", `"héllo 世界 😀"`, "héllo 世界 😀"},
	{"S_ESCAPES", `"\u00e9\ud83d\ude00\t\r\/"`, "é😀\t\r/"},
	{"S_EMPTY", `""`, ""},
	{"N_DECIMAL", `1.50`, "1.50"},
	{"N_BIG", `12345678901234567890`, "12345678901234567890"},
	{"N_EXP", `1e3`, "1e3"},
	{"N_NEG_ZERO", `-0`, "-0"},
	{"N_SMALL", `-0.000001E-7`, "-0.000001E-7"},
	{"B_TRUE", `true`, "true"},
	{"B_FALSE", `false`, "false"},
	{"NULL", `null`, ""},
	{"OBJECT", `{ "a" : 1.0, "b" : [ 1 , "x y" ] , "c":{}}`, `{"a":1.0,"b":[1,"x y"],"c":{}}`},
	{"ARRAY", "[\n  \"x\",\n  null,\n  true\n]", `["x",null,true]`},
}

// TestValues proves value conversion end to end: what `env -0` and a shell
// in the child see, byte for byte.
func TestValues(t *testing.T) {
	t.Parallel()
	var obj, script strings.Builder
	obj.WriteString("{")
	script.WriteString(`printf '%s\0'`)
	for i, c := range valueCases {
		if i > 0 {
			obj.WriteString(",\n")
		}
		fmt.Fprintf(&obj, "%q: %s", c.key, c.json)
		fmt.Fprintf(&script, ` "$%s"`, c.key)
	}
	obj.WriteString("}")
	name := secretName(t, "values")
	createSecret(t, "us-east-1", name, obj.String())
	env := withEnv(baseEnv(t), "SECRET_ID="+name)

	t.Run("env -0", func(t *testing.T) {
		t.Parallel()
		got := childEnv(t, env)
		for _, c := range valueCases {
			if v, ok := got[c.key]; !ok || v != c.want {
				t.Errorf("%s: child saw %q (set %v), want %q", c.key, v, ok, c.want)
			}
		}
	})
	t.Run("sh -c", func(t *testing.T) {
		t.Parallel()
		res := runOK(t, env, "", "--", "sh", "-c", script.String())
		got := strings.Split(strings.TrimSuffix(res.Stdout, "\x00"), "\x00")
		if len(got) != len(valueCases) {
			t.Fatalf("shell printed %d values, want %d: %q", len(got), len(valueCases), res.Stdout)
		}
		for i, c := range valueCases {
			if got[i] != c.want {
				t.Errorf("%s: shell saw %q, want %q", c.key, got[i], c.want)
			}
		}
	})
}

// TestInvalidSecrets proves that a secret that cannot become an environment
// is refused before exec, in one line that names what is wrong.
func TestInvalidSecrets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"duplicate key", `{"A":"1","DUP":"x","DUP":"y"}`, []string{`"DUP"`, "twice"}},
		{"array", `["A","B"]`, []string{"not a JSON object"}},
		{"string", `"A=B"`, []string{"not a JSON object"}},
		{"number", `42`, []string{"not a JSON object"}},
		{"null", `null`, []string{"not a JSON object"}},
		{"malformed", `{"A":"1",}`, []string{"not valid JSON"}},
		{"trailing data", `{"A":"1"} {}`, []string{"not valid JSON"}},
		{"bad key with dash", `{"OK":"1","my-key":"v"}`, []string{"<6-byte key, not shown>", "invalid variable name"}},
		{"bad key with digit first", `{"1ST":"v"}`, []string{"<3-byte key, not shown>", "invalid variable name"}},
		{"bad key with equals", `{"A=B":"v"}`, []string{"<3-byte key, not shown>", "invalid variable name"}},
		{"empty key", `{"":"v"}`, []string{"<0-byte key, not shown>", "invalid variable name"}},
		{"NUL value", `{"OK":"1","HAS_NUL":"a\u0000b"}`, []string{"HAS_NUL", "NUL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, tc.text)
			res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "sh", "-c", "echo STARTED")
			checkRefused(t, res, append([]string{name}, tc.want...)...)
		})
	}
}

// runDupEnv runs secretenv with env passed to execve as it is: os/exec
// would drop duplicate names, which is what this needs to keep.
func runDupEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	p, err := os.StartProcess(bin, append([]string{bin}, args...), &os.ProcAttr{
		Env: env, Files: []*os.File{nil, stdout, stderr},
	})
	if err != nil {
		t.Fatal(err)
	}
	state, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	return result{Stdout: string(out), Stderr: string(errOut), Code: state.ExitCode()}
}

// TestEachNameOnce proves that the child's environment holds each name once,
// even when secretenv's own environment holds one twice: the first entry
// wins, as getenv(3) reads it. An entry without '=' names nothing and is
// dropped.
func TestEachNameOnce(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"DUP":"secret","NEW":"secret","OTHER":"secret"}`)
	base := append(withEnv(baseEnv(t), "SECRET_ID="+name, "DUP=first", "OTHER=mine"), "DUP=second", "OTHER=again", "NOEQUALS")
	for _, tc := range []struct {
		name string
		args []string
		want map[string]string
	}{
		{"no override", nil, map[string]string{"DUP": "first", "OTHER": "mine", "NEW": "secret", "NOEQUALS": "<unset>"}},
		{"override", []string{"--override"}, map[string]string{"DUP": "secret", "OTHER": "secret", "NEW": "secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runDupEnv(t, base, append(tc.args, "--", "env", "-0")...)
			if res.Code != 0 {
				t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
			}
			wantVars(t, envOf(t, res.Stdout), tc.want) // envOf fails on a duplicate
		})
	}
}

// TestRegion proves that an ARN is fetched from its own region, several
// regions work in one run, and a name without any region is refused.
func TestRegion(t *testing.T) {
	t.Parallel()
	west := createSecret(t, "us-west-2", secretName(t, "west"), `{"FROM_WEST":"us-west-2"}`)
	eu := createSecret(t, "eu-west-1", secretName(t, "eu"), `{"FROM_EU":"eu-west-1"}`)
	eastName := secretName(t, "east")
	createSecret(t, "us-east-1", eastName, `{"FROM_EAST":"us-east-1"}`)
	westName := secretName(t, "west")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want map[string]string
	}{
		{"ARN in another region", []string{"SECRET_ID=" + west}, nil, map[string]string{"FROM_WEST": "us-west-2"}},
		{"three regions in one run", []string{"SECRET_ID=" + eastName + "," + west + "," + eu}, nil,
			map[string]string{"FROM_EAST": "us-east-1", "FROM_WEST": "us-west-2", "FROM_EU": "eu-west-1"}},
		{"ARN without any region configured", []string{"SECRET_ID=" + west, "-AWS_REGION"}, nil, map[string]string{"FROM_WEST": "us-west-2"}},
		{"--region for a name", []string{"SECRET_ID=" + westName}, []string{"--region", "us-west-2"}, map[string]string{"FROM_WEST": "us-west-2"}},
		{"AWS_DEFAULT_REGION for a name", []string{"SECRET_ID=" + westName, "-AWS_REGION", "AWS_DEFAULT_REGION=us-west-2"}, nil, map[string]string{"FROM_WEST": "us-west-2"}},
		{"AWS_REGION beats AWS_DEFAULT_REGION", []string{"SECRET_ID=" + eastName, "AWS_DEFAULT_REGION=us-west-2"}, nil, map[string]string{"FROM_EAST": "us-east-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantVars(t, childEnv(t, withEnv(baseEnv(t), tc.env...), tc.args...), tc.want)
		})
	}
	t.Run("no region for a name", func(t *testing.T) {
		t.Parallel()
		env := withEnv(baseEnv(t), "SECRET_ID="+west+","+eastName, "-AWS_REGION", "-AWS_DEFAULT_REGION")
		res := runSecretenv(t, env, "", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, eastName, "AWS_REGION", "--region")
	})
	t.Run("a name looked up in the wrong region", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+westName), "", "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, westName, "not found", "us-east-1", "ResourceNotFoundException")
	})
}

// TestExecProcess proves that the command replaces secretenv: same PID, argv
// exactly as given, stdin passed through, and nothing on stdout of its own.
func TestExecProcess(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
	env := withEnv(baseEnv(t), "SECRET_ID="+name)

	t.Run("PID kept", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command(bin, "--", "sh", "-c", `echo $$`)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v, stderr %q", err, stderr.String())
		}
		if got := strings.TrimSpace(stdout.String()); got != strconv.Itoa(cmd.Process.Pid) {
			t.Errorf("command ran as PID %s, secretenv was PID %d", got, cmd.Process.Pid)
		}
	})
	argv := []string{"", "-x", "--", "--secret-id", "a b", "  ", "-", "$HOME", "line\nbreak", "é"}
	for _, tc := range []struct {
		name string
		args []string // before the command
	}{
		{"after --", []string{"--"}},
		{"after flags and --", []string{"--timeout", "20s", "--"}},
		{"first non-flag word", nil},
	} {
		t.Run("argv "+tc.name, func(t *testing.T) {
			t.Parallel()
			args := append(append(tc.args, "sh", "-c", `printf '%s\0' "$0" "$@"`, "zero"), argv...)
			res := runOK(t, env, "", args...)
			want := strings.Join(append([]string{"zero"}, argv...), "\x00") + "\x00"
			if res.Stdout != want {
				t.Errorf("command saw argv %q, want %q", res.Stdout, want)
			}
		})
	}
	t.Run("stdin passes through", func(t *testing.T) {
		t.Parallel()
		in := "line one\n\x00binary\xff\nlast line without newline"
		res := runOK(t, env, in, "--", "cat")
		if res.Stdout != in {
			t.Errorf("command read %q from stdin, want %q", res.Stdout, in)
		}
	})
	t.Run("nothing on stdout", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{{"--", "true"}, {"--verbose", "--", "true"}} {
			res := runOK(t, env, "", args...)
			if res.Stdout != "" {
				t.Errorf("secretenv %q wrote %q to stdout", args, res.Stdout)
			}
			if !slices.Contains(args, "--verbose") && res.Stderr != "" {
				t.Errorf("secretenv %q wrote %q to stderr", args, res.Stderr)
			}
		}
	})
}

// writeScript writes a file with mode perm under dir and returns its path.
func writeScript(t *testing.T, dir, name, text string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // WriteFile's perm passes through umask
		t.Fatal(err)
	}
	return path
}

// TestExitStatus proves the exit statuses of GNU env and docker run: 125 for
// secretenv's own failures, 126 not executable, 127 not found, else the
// command's own; and that the command is looked up on the final PATH.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"OK":"fine"}`)
	bins := t.TempDir() // a PATH directory of odd files
	marker := filepath.Join(t.TempDir(), "ran")
	writeScript(t, bins, "mycmd", "#!/bin/sh\necho mycmd ran \"$OK\"\n", 0o755)
	noExec := writeScript(t, bins, "noexec", "#!/bin/sh\ntouch "+marker+"\n", 0o644)
	noShebang := writeScript(t, bins, "noshebang", "touch "+marker+"\n", 0o755)
	noInterp := writeScript(t, bins, "nointerp", "#!/nonexistent/interpreter\ntouch "+marker+"\n", 0o755)
	subdir := filepath.Join(bins, "subdir")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	pathSecret := secretName(t, "path")
	createSecret(t, "us-east-1", pathSecret, fmt.Sprintf(`{"PATH":%q,"OK":"fine"}`, bins))
	missing := secretName(t, "missing")
	t.Cleanup(func() { // after the parallel subtests
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("a command that could not be executed ran anyway")
		}
	})

	for _, tc := range []struct {
		name   string
		env    []string // over baseEnv with SECRET_ID of a good secret
		args   []string
		code   int
		stdout string
		want   []string // on stderr, which must be one line (if code != 0 and not passthrough)
	}{
		{"success", nil, []string{"--", "sh", "-c", "echo ok"}, 0, "ok\n", nil},
		{"passthrough 42", nil, []string{"--", "sh", "-c", "exit 42"}, 42, "", nil},
		{"passthrough 1", nil, []string{"--", "false"}, 1, "", nil},
		{"passthrough 125", nil, []string{"--", "sh", "-c", "exit 125"}, 125, "", nil},

		{"no SECRET_ID", []string{"-SECRET_ID"}, []string{"--", "sh", "-c", "echo STARTED"}, 125, "", []string{"SECRET_ID", "--secret-id"}},
		{"empty SECRET_ID", []string{"SECRET_ID="}, []string{"--", "sh", "-c", "echo STARTED"}, 125, "", []string{"SECRET_ID"}},
		{"not found names the region", []string{"SECRET_ID=" + missing}, []string{"--", "sh", "-c", "echo STARTED"}, 125, "", []string{missing, "us-east-1", "ResourceNotFoundException"}},
		{"not found in --region", []string{"SECRET_ID=" + missing}, []string{"--region", "eu-central-1", "--", "sh", "-c", "echo STARTED"}, 125, "", []string{missing, "eu-central-1"}},
		{"unknown flag", nil, []string{"--bogus", "--", "sh", "-c", "echo STARTED"}, 125, "", []string{"bogus", "--help"}},
		{"bad --timeout", nil, []string{"--timeout", "soon", "--", "sh", "-c", "echo STARTED"}, 125, "", []string{"--timeout \"soon\"", "a duration such as 30s"}},
		{"bad SECRETENV_TIMEOUT", []string{"SECRETENV_TIMEOUT=soon"}, []string{"--", "sh", "-c", "echo STARTED"}, 125, "", []string{"SECRETENV_TIMEOUT", "30s"}},
		{"zero SECRETENV_TIMEOUT", []string{"SECRETENV_TIMEOUT=0s"}, []string{"--", "sh", "-c", "echo STARTED"}, 125, "", []string{"timeout", "positive"}},
		{"bad SECRETENV_OVERRIDE", []string{"SECRETENV_OVERRIDE=yes please"}, []string{"--", "sh", "-c", "echo STARTED"}, 125, "", []string{"SECRETENV_OVERRIDE"}},
		{"no command", nil, nil, 125, "", []string{"no command"}},
		{"nothing after --", nil, []string{"--"}, 125, "", []string{"no command"}},

		{"no execute bit", nil, []string{"--", noExec}, 126, "", []string{noExec, "execute bit"}},
		{"no execute bit on PATH", []string{"PATH=" + bins}, []string{"--", "noexec"}, 126, "", []string{noExec, "execute bit"}},
		{"a directory", nil, []string{"--", subdir}, 126, "", []string{subdir, "directory"}},
		{"a directory on PATH", []string{"PATH=" + bins}, []string{"--", "subdir"}, 126, "", []string{subdir, "directory"}},
		{"a script without #!", nil, []string{"--", noShebang}, 126, "", []string{noShebang, "#!"}},

		{"not on PATH", nil, []string{"--", "secretenv-no-such-command"}, 127, "", []string{"secretenv-no-such-command", "not found"}},
		{"no such path", nil, []string{"--", "/nonexistent/cmd"}, 127, "", []string{"/nonexistent/cmd", "no such file"}},
		{"empty command", nil, []string{"--", ""}, 127, "", []string{"''", "not found"}},
		{"missing interpreter", nil, []string{"--", noInterp}, 127, "", []string{noInterp, "interpreter"}},
		{"missing interpreter on PATH", []string{"PATH=" + bins}, []string{"--", "nointerp"}, 127, "", []string{noInterp, "interpreter"}},

		// A secret's PATH would choose the program: refused unless allowed by
		// name, with or without a PATH in the environment.
		{"PATH from a secret is refused", []string{"-PATH", "SECRET_ID=" + pathSecret}, []string{"--", "mycmd"}, 125, "", []string{"PATH", "--allow-key PATH"}},
		{"PATH from a secret is refused with --override", []string{"SECRET_ID=" + pathSecret}, []string{"--override", "--", "mycmd"}, 125, "", []string{"PATH", "--allow-key PATH"}},
		{"PATH from a secret is refused when the environment has one", []string{"SECRET_ID=" + pathSecret}, []string{"--", "mycmd"}, 125, "", []string{"PATH", "--allow-key PATH"}},
		{"PATH from a secret allowed", []string{"-PATH", "SECRET_ID=" + pathSecret}, []string{"--allow-key", "PATH", "--", "mycmd"}, 0, "mycmd ran fine\n", nil},
		{"PATH from a secret allowed by SECRETENV_ALLOW_KEYS", []string{"-PATH", "SECRET_ID=" + pathSecret, "SECRETENV_ALLOW_KEYS=PATH"}, []string{"--", "mycmd"}, 0, "mycmd ran fine\n", nil},
		{"PATH from a secret allowed with --override", []string{"SECRET_ID=" + pathSecret}, []string{"--allow-key", "PATH", "--override", "--", "mycmd"}, 0, "mycmd ran fine\n", nil},
		{"PATH of the environment wins", []string{"SECRET_ID=" + pathSecret}, []string{"--allow-key", "PATH", "--", "mycmd"}, 127, "", []string{"mycmd", "not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name}, tc.env...)...)
			res := runSecretenv(t, env, "", tc.args...)
			if res.Code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", res.Code, tc.code, res.Stderr)
			}
			if res.Stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", res.Stdout, tc.stdout)
			}
			if tc.want != nil {
				checkOneLine(t, res.Stderr, tc.want...)
			} else if res.Stderr != "" {
				t.Errorf("stderr %q, want none", res.Stderr)
			}
		})
	}
}

// TestTooBig proves that an environment execve would refuse with E2BIG is
// refused by secretenv first, naming the variables, not "argument list too
// long".
func TestTooBig(t *testing.T) {
	t.Parallel()
	// Linux's MAX_ARG_STRLEN: one NAME=value entry with its NUL is at most
	// 32 pages (131,072 bytes).
	const maxEntry = 32 * 4096
	fits := strings.Repeat("x", maxEntry-len("BIG=")-1)
	// The kernel caps all of argv and envp at a quarter of the stack limit,
	// and at most 6 MiB (3/4 of _STK_LIM) whatever the limit: 60 values of
	// 120,000 bytes exceed it on any machine while each fits on its own.
	var many strings.Builder
	many.WriteString("{")
	for i := range 60 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"PART_%02d":"%s"`, i, strings.Repeat("y", 120_000))
	}
	many.WriteString("}")
	for _, tc := range []struct {
		name, text string
		code       int
		want       []string
	}{
		{"largest value that fits", `{"BIG":"` + fits + `"}`, 0, nil},
		{"one byte more", `{"BIG":"` + fits + `x"}`, 125, []string{"BIG", "E2BIG"}},
		{"one value of 200 KiB", `{"SMALL":"s","HUGE":"` + strings.Repeat("z", 200<<10) + `"}`, 125, []string{"HUGE", "E2BIG"}},
		{"many values over the total limit", many.String(), 125, []string{"PART_", "E2BIG"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := secretName(t, "big")
			createSecret(t, "us-east-1", name, tc.text)
			env := withEnv(baseEnv(t), "SECRET_ID="+name)
			// check answers for the exec that would follow: the same verdict.
			if chk := runSecretenv(t, env, "", "check"); chk.Code != tc.code {
				t.Errorf("check: exit %d, want %d as the entrypoint; stderr %q", chk.Code, tc.code, chk.Stderr)
			}
			res := runSecretenv(t, env, "", "--", "sh", "-c", `echo STARTED ${#BIG}`)
			if tc.code == 0 {
				if res.Code != 0 || res.Stdout != fmt.Sprintf("STARTED %d\n", len(fits)) {
					t.Errorf("exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
				}
				return
			}
			checkRefused(t, res, tc.want...)
		})
	}
}

// TestVersionAndHelp proves that --version and --help print to stdout and
// exit 0 without fetching anything.
func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--version"}, "secretenv "},
		{[]string{"-version"}, "secretenv "},
		{[]string{"--help"}, "Usage: secretenv [flags] [--] COMMAND [ARG...]"},
		{[]string{"-h"}, "Usage: secretenv [flags] [--] COMMAND [ARG...]"},
		{[]string{"--secret-id", "x", "--help", "--", "env"}, "Usage: secretenv"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			// No SECRET_ID and no credentials: neither flag may need them.
			env := withEnv(baseEnv(t), "-AWS_ACCESS_KEY_ID", "-AWS_SECRET_ACCESS_KEY", "-AWS_REGION")
			res := runSecretenv(t, env, "", tc.args...)
			if res.Code != 0 || res.Stderr != "" {
				t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
			}
			if !strings.HasPrefix(res.Stdout, tc.want) || !strings.HasSuffix(res.Stdout, "\n") {
				t.Errorf("stdout %q, want it to start with %q", res.Stdout, tc.want)
			}
		})
	}
}
