// Package integration runs the built secretenv binary as a user would,
// against a real Secrets Manager emulator (moto_server) that the tests start
// on a free loopback port, and against fault servers of their own.
package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

var (
	bin     string // the secretenv binary under test
	motoURL string // http://127.0.0.1:PORT of the shared moto_server
)

// TestMain builds secretenv once and starts one moto_server for the package.
// A missing moto_server fails the run: it is never a silent skip.
func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "secretenv-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "secretenv")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building secretenv: %v\n%s", err, out)
		return 1
	}
	stop, err := startMoto()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration tests need moto_server (python3 -m pip install \"moto[server]\"): %v\n", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// startMoto starts moto_server on a free loopback port and waits until it
// answers. stop kills its whole process group.
func startMoto() (stop func(), err error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var logBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	motoURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(motoURL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return stop, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("moto_server did not answer on %s within 30s: %s", motoURL, logBuf.String())
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// smClient is an SDK client for moto in region, used to seed secrets.
func smClient(t testing.TB, region string) *secretsmanager.Client {
	t.Helper()
	return secretsmanager.New(secretsmanager.Options{
		Region:       region,
		BaseEndpoint: aws.String(motoURL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9/_+=.@-]`)

// secretName is a name unique to this test, as moto is shared by the package.
func secretName(t testing.TB, suffix string) string {
	return unsafeName.ReplaceAllString(t.Name(), "_") + "/" + suffix
}

// createSecret stores text as a SecretString in region and returns its ARN.
func createSecret(t testing.TB, region, name, text string) string {
	t.Helper()
	out, err := smClient(t, region).CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(text),
	})
	if err != nil {
		t.Fatalf("creating secret %s: %v", name, err)
	}
	return *out.ARN
}

// result is what a secretenv run left behind.
type result struct {
	Stdout, Stderr string
	Code           int
}

// baseEnv points secretenv at moto with static credentials, in us-east-1,
// and isolates it from this machine's AWS files and IMDS.
func baseEnv(t testing.TB) []string {
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + motoURL,
		// STS is asked after an access denial, for the caller's ARN:
		// moto answers it, so no test reaches AWS.
		"AWS_ENDPOINT_URL_STS=" + motoURL,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// withEnv returns base with each NAME=value of extra replacing or adding
// NAME; an entry "-NAME" removes NAME.
func withEnv(base []string, extra ...string) []string {
	out := append([]string(nil), base...)
	for _, e := range extra {
		name, _, _ := strings.Cut(e, "=")
		drop := strings.HasPrefix(e, "-")
		name = strings.TrimPrefix(name, "-")
		kept := out[:0]
		for _, kv := range out {
			if k, _, _ := strings.Cut(kv, "="); k != name {
				kept = append(kept, kv)
			}
		}
		out = kept
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

// runSecretenv runs the binary with env and stdin, and returns its output
// and exit status. It fails the test if the run outlives 60s.
func runSecretenv(t testing.TB, env []string, stdin string, args ...string) result {
	t.Helper()
	return runProgram(t, "", env, strings.NewReader(stdin), append([]string{bin}, args...)...)
}

// runProgram runs args in dir ("" for the test's own) with env (nil: this
// process's) and stdin (nil: /dev/null), and returns what it printed and its
// exit status. It fails the test if the program cannot start or outlives
// 60s: a bound on a hung program, not a timing.
func runProgram(t testing.TB, dir string, env []string, stdin io.Reader, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, stdin
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%q did not finish within 60s", args)
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %q: %v", args, err)
	}
	return res
}

// envOf parses `env -0` output into a map, failing on a duplicate name.
func envOf(t testing.TB, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			t.Errorf("child environment holds %s twice", k)
		}
		m[k] = v
	}
	return m
}
