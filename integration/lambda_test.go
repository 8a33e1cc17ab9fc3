package integration

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// lambdaBootstrap is how a Lambda managed runtime's bootstrap starts the
// runtime when AWS_LAMBDA_EXEC_WRAPPER is set (bash, as the Python one, with the
// runtime's command line replaced by the test's): the wrapper's path as
// argv[0], then the runtime's command line, with no "--".
const lambdaBootstrap = `#!/bin/bash
if [ -z "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  exec "$@"
fi
wrapper="$AWS_LAMBDA_EXEC_WRAPPER"
if [ ! -f "$wrapper" ]; then
  echo "$wrapper: does not exist"
  exit 127
fi
if [ ! -x "$wrapper" ]; then
  echo "$wrapper: is not an executable"
  exit 126
fi
exec -- "$wrapper" "$@"
`

// TestLambdaExecWrapper runs secretenv as a Lambda runtime's bootstrap runs
// an exec wrapper, with a runtime command line that starts with a path, a
// word that is a secretenv subcommand, and a word that looks like a flag.
func TestLambdaExecWrapper(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bootstrap := writeScript(t, dir, "bootstrap", lambdaBootstrap, 0o755)
	// Programs named like secretenv's subcommand and flag, on PATH.
	writeScript(t, dir, "check", "#!/bin/sh\necho \"runtime check $1 GREETING=$GREETING TOKEN=$TOKEN\"\n", 0o755)
	writeScript(t, dir, "--verbose", "#!/bin/sh\necho \"runtime --verbose GREETING=$GREETING\"\n", 0o755)
	name := secretName(t, "fn")
	createSecret(t, "us-east-1", name, `{"GREETING":"hello from the secret"}`)
	token := putParameter(t, "us-east-1", paramPath(t)+"/token", "tok", types.ParameterTypeSecureString)
	env := withEnv(ssmEnv(t, motoURL), "PATH="+dir+":/usr/bin:/bin",
		"AWS_LAMBDA_EXEC_WRAPPER="+bin, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001",
		"AWS_LAMBDA_FUNCTION_NAME=fn", "SECRET_ID="+name, "TOKEN="+token)

	for _, tc := range []struct {
		name string
		argv []string // the runtime's command line
		want string
	}{
		{"a runtime path", []string{"/bin/sh", "-c", `echo "runtime sh GREETING=$GREETING TOKEN=$TOKEN"`}, "runtime sh GREETING=hello from the secret TOKEN=tok\n"},
		{"a word that is a subcommand", []string{"check", "arg"}, "runtime check arg GREETING=hello from the secret TOKEN=tok\n"},
		{"a word that looks like a flag", []string{"--verbose"}, "runtime --verbose GREETING=hello from the secret\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("/bin/bash", append([]string{bootstrap}, tc.argv...)...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("bootstrap: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
			}
			if stdout.String() != tc.want {
				t.Errorf("the runtime printed %q, want %q (stderr %q)", stdout.String(), tc.want, stderr.String())
			}
		})
	}

	t.Run("a failure stops the runtime", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("/bin/bash", bootstrap, "/bin/sh", "-c", "echo STARTED")
		cmd.Env = withEnv(env, "SECRET_ID="+name+"-missing")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 125 || strings.Contains(stdout.String(), "STARTED") {
			t.Fatalf("bootstrap: %v, stdout %q; want exit 125 and the runtime not started", err, stdout.String())
		}
		checkOneLine(t, stderr.String(), name+"-missing", "ResourceNotFoundException")
	})

	t.Run("SECRETENV_WATCH is refused", func(t *testing.T) {
		t.Parallel()
		// A poller that outlives invocations in a frozen environment, and a
		// restart that kills one in flight, have no place in Lambda.
		cmd := exec.Command("/bin/bash", bootstrap, "/bin/sh", "-c", "echo STARTED")
		cmd.Env = withEnv(env, "SECRETENV_WATCH=true")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 125 || strings.Contains(stdout.String(), "STARTED") {
			t.Fatalf("bootstrap: %v, stdout %q, stderr %q; want exit 125 and the runtime not started", err, stdout.String(), stderr.String())
		}
		checkOneLine(t, stderr.String(), "--watch cannot supervise an AWS Lambda runtime", "SECRETENV_WATCH")
	})

	t.Run("the function's own secretenv check parses its words", func(t *testing.T) {
		t.Parallel()
		// Inside the function AWS_LAMBDA_EXEC_WRAPPER is still set, but
		// secretenv run under another name is not the wrapper.
		res := runSecretenv(t, withEnv(env, "AWS_LAMBDA_EXEC_WRAPPER=/opt/bin/secretenv"), "", "check")
		if res.Code != 0 || !strings.Contains(res.Stdout, "GREETING  secret "+name) {
			t.Errorf("check: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
		}
	})
}
