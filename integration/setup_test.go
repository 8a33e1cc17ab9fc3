package integration

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setupLimit bounds how long a setup mistake may take to be reported: it
// must fail before any request, so in milliseconds; the bound is generous
// for a loaded machine and far below the 30s default deadline that the
// mistakes used to run into.
const setupLimit = 5 * time.Second

// TestSetupMistakes proves that a malformed endpoint or region fails at
// once, naming the setting, without a request to anyone and without
// starting the command.
func TestSetupMistakes(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:secretsmanager:%s:123456789012:secret:app"
	tests := []struct {
		name string
		env  func(fake *fakeSM, home string) []string // extra settings over fake.env
		args []string
		want []string
	}{
		{"endpoint without a scheme", func(f *fakeSM, _ string) []string {
			return []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + strings.TrimPrefix(f.URL, "http://")}
		}, nil, []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=", "has no scheme", "http://HOST:PORT"}},
		{"endpoint with an unclosed IPv6 bracket", func(*fakeSM, string) []string {
			return []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=http://[::1"}
		}, nil, []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=", "is not a valid URL", "missing ']'"}},
		{"endpoint that is not a URL", func(*fakeSM, string) []string {
			return []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=not a url"}
		}, nil, []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=", "has no scheme"}},
		{"endpoint with another scheme", func(f *fakeSM, _ string) []string {
			return []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=ftp" + strings.TrimPrefix(f.URL, "http")}
		}, nil, []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=", `scheme "ftp"`}},
		{"AWS_ENDPOINT_URL without a scheme", func(f *fakeSM, _ string) []string {
			return []string{"-AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL=" + strings.TrimPrefix(f.URL, "http://")}
		}, nil, []string{"AWS_ENDPOINT_URL=", "has no scheme"}},
		{"endpoint_url in the config file", func(f *fakeSM, home string) []string {
			file := filepath.Join(home, "config")
			writeFile(t, file, "[default]\nendpoint_url = "+strings.TrimPrefix(f.URL, "http://")+"\n")
			return []string{"-AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_CONFIG_FILE=" + file}
		}, nil, []string{"endpoint_url for Secrets Manager in the AWS shared config file", "has no scheme"}},
		{"--region with a space", nil, []string{"--region", "us east"}, []string{`--region "us east" is not a valid AWS region`}},
		{"AWS_REGION with '_' and '/'", func(*fakeSM, string) []string {
			return []string{"AWS_REGION=us_east/1"}
		}, nil, []string{`AWS_REGION "us_east/1" is not a valid AWS region`}},
		{"AWS_DEFAULT_REGION with '_'", func(*fakeSM, string) []string {
			return []string{"-AWS_REGION", "AWS_DEFAULT_REGION=us_east_1"}
		}, nil, []string{`AWS_DEFAULT_REGION "us_east_1" is not a valid AWS region`}},
		{"region of the profile", func(_ *fakeSM, home string) []string {
			file := filepath.Join(home, "config")
			writeFile(t, file, "[default]\nregion = us east\n")
			return []string{"-AWS_REGION", "AWS_CONFIG_FILE=" + file}
		}, nil, []string{`region of the AWS profile in the shared config file "us east"`}},
		{"region in an ARN", func(*fakeSM, string) []string {
			return []string{"SECRET_ID=" + strings.Replace(arn, "%s", "us_east_1", 1)}
		}, nil, []string{"SECRET_ID: malformed ARN", `region "us_east_1" is not a valid AWS region`}},
		{"region in a reference", func(*fakeSM, string) []string {
			return []string{"DB=" + strings.Replace(arn, "%s", "eu/west", 1)}
		}, nil, []string{"DB: malformed ARN", `region "eu/west" is not a valid AWS region`}},
		{"SSM endpoint without a scheme, with a parameter named", func(f *fakeSM, _ string) []string {
			return []string{"DB=arn:aws:ssm:us-east-1:123456789012:parameter/db", "AWS_ENDPOINT_URL_SSM=" + strings.TrimPrefix(f.URL, "http://")}
		}, nil, []string{"AWS_ENDPOINT_URL_SSM=", "has no scheme", "http://HOST:PORT"}},
		{"region in a parameter reference", func(*fakeSM, string) []string {
			return []string{"DB=arn:aws:ssm:eu/west:123456789012:parameter/db"}
		}, nil, []string{"DB: malformed parameter ARN", `region "eu/west" is not a valid AWS region`}},
		{"FIPS with a custom endpoint", func(*fakeSM, string) []string {
			return []string{"AWS_USE_FIPS_ENDPOINT=true"}
		}, nil, []string{"app: cannot resolve the Secrets Manager endpoint", "AWS_USE_FIPS_ENDPOINT"}},
		{"credentials net/http cannot send", func(*fakeSM, string) []string {
			// Retried until the deadline before: net/http refuses the
			// Authorization header before it asks for a connection.
			return []string{"AWS_ACCESS_KEY_ID=AKIA\nEXAMPLE"}
		}, nil, []string{"app: the request to Secrets Manager could not be sent: its Authorization header", "AWS_ACCESS_KEY_ID"}},
		{"deadline before any request", func(*fakeSM, string) []string {
			// 1ns, not 1ms: a warm start can load the config, sign and
			// get its answer from this loopback fake within 1 ms.
			return []string{"SECRETENV_TIMEOUT=1ns"}
		}, nil, []string{"app: the 1ns deadline passed before the request was sent; raise --timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				writeSecret(w, req.SecretId, `{"A":"1"}`)
			})
			var extra []string
			if tc.env != nil {
				extra = tc.env(fake, t.TempDir())
			}
			start := time.Now()
			res := runSecretenv(t, fake.env(t, append([]string{"SECRET_ID=app"}, extra...)...), "", append(tc.args, "--", "sh", "-c", "echo STARTED")...)
			took := time.Since(start)
			checkRefused(t, res, tc.want...)
			if strings.Contains(res.Stderr, "request failed") || strings.Contains(res.Stderr, "*") {
				t.Errorf("stderr names an SDK type: %q", res.Stderr)
			}
			if n := fake.requests.Load(); n != 0 {
				t.Errorf("server saw %d requests, want none", n)
			}
			if took > setupLimit {
				t.Errorf("took %v, want under %v", took, setupLimit)
			}
			t.Logf("refused in %v: %s", took.Round(time.Millisecond), strings.TrimSpace(res.Stderr))
		})
	}
}

// TestSetupMistakesEveryCommand proves that list and diff, which call AWS
// without loading, check the endpoint and region as the entrypoint does.
func TestSetupMistakesEveryCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"list"}, {"diff", "a", "b"}, {"check"}, {"export"}} {
		for _, setting := range []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=not a url", "AWS_REGION=us_east/1"} {
			t.Run(args[0]+" "+setting, func(t *testing.T) {
				t.Parallel()
				fake := startFakeSM(t, func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
					writeSecret(w, req.SecretId, `{"A":"1"}`)
				})
				name, _, _ := strings.Cut(setting, "=")
				res := runSecretenv(t, fake.env(t, "SECRET_ID=app", setting), "", args...)
				if res.Code != 125 || res.Stdout != "" {
					t.Errorf("exit %d, stdout %q; want 125 and nothing", res.Code, res.Stdout)
				}
				checkOneLine(t, res.Stderr, name)
				if n := fake.requests.Load(); n != 0 {
					t.Errorf("server saw %d requests, want none", n)
				}
			})
		}
	}
}
