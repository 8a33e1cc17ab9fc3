package integration

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// credServer is a container credentials endpoint of the tests' own, the
// kind ECS and EKS Pod Identity serve to the SDK: it answers each GET with
// handle and records the Authorization header of every request.
type credServer struct {
	URL string // the full URI, path included

	mu    sync.Mutex
	auths []string
}

// startCredServer serves handle on a loopback port until the test ends.
func startCredServer(t *testing.T, handle http.HandlerFunc) *credServer {
	t.Helper()
	c := &credServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.auths = append(c.auths, r.Header.Get("Authorization"))
		c.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	c.URL = srv.URL + "/v2/credentials/task"
	return c
}

// authorizations returns the Authorization headers received so far.
func (c *credServer) authorizations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.auths...)
}

// issueCredentials answers as the ECS and EKS agents do, with a session
// that expires at expires. It requires the Authorization header token.
func issueCredentials(token, keyID, sessionToken string, expires time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != token {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId":     keyID,
			"SecretAccessKey": "secret-of-" + keyID,
			"Token":           sessionToken,
			"Expiration":      expires.UTC().Format(time.RFC3339),
		})
	}
}

// signedBy is a reverse proxy in front of moto that records the access key
// id and session token each Secrets Manager request was signed with. moto
// checks no signature, so this is how a test knows which credentials the SDK
// really used.
type signedBy struct {
	URL string

	mu     sync.Mutex
	keys   []string
	tokens []string
}

var credentialScope = regexp.MustCompile(`Credential=([^/]*)/`)

func startSignedBy(t *testing.T) *signedBy {
	t.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	s := &signedBy{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			key = m[1]
		}
		s.mu.Lock()
		s.keys = append(s.keys, key)
		s.tokens = append(s.tokens, r.Header.Get("X-Amz-Security-Token"))
		s.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	s.URL = srv.URL
	return s
}

// check asserts that every request was signed with key and session token.
func (s *signedBy) check(t *testing.T, key, token string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) == 0 {
		t.Fatal("no request reached Secrets Manager")
	}
	for i := range s.keys {
		if s.keys[i] != key || s.tokens[i] != token {
			t.Errorf("request %d signed with key %q, session token %q; want %q, %q", i+1, s.keys[i], s.tokens[i], key, token)
		}
	}
}

// noStaticKeys removes baseEnv's static keys, so that the SDK's chain goes
// on to the source a test sets up.
var noStaticKeys = []string{"-AWS_ACCESS_KEY_ID", "-AWS_SECRET_ACCESS_KEY", "-AWS_SESSION_TOKEN"}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestCredentialSources proves that the SDK's credential chain works through
// secretenv the way production containers get credentials, and that the
// credentials it used came from the source under test.
func TestCredentialSources(t *testing.T) {
	t.Parallel()
	hour := time.Now().Add(time.Hour)
	t.Run("ECS full URI and token", func(t *testing.T) {
		t.Parallel()
		creds := startCredServer(t, issueCredentials("ecs-token", "ASIAECSTASKROLE", "ecs-session", hour))
		sm := startSignedBy(t)
		env := withEnv(baseEnv(t), append(noStaticKeys,
			"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL,
			"AWS_CONTAINER_CREDENTIALS_FULL_URI="+creds.URL,
			"AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-token")...)
		checkFetches(t, env)
		if got := creds.authorizations(); len(got) != 1 || got[0] != "ecs-token" {
			t.Errorf("credential server saw Authorization %q, want one request with the token", got)
		}
		sm.check(t, "ASIAECSTASKROLE", "ecs-session")
	})
	t.Run("EKS Pod Identity token file", func(t *testing.T) {
		t.Parallel()
		creds := startCredServer(t, issueCredentials("eks-token-from-file", "ASIAEKSPODROLE", "eks-session", hour))
		sm := startSignedBy(t)
		tokenFile := filepath.Join(t.TempDir(), "eks-pod-identity-token")
		// The SDK sends the file as it is, re-reading it for each refresh.
		writeFile(t, tokenFile, "eks-token-from-file")
		env := withEnv(baseEnv(t), append(noStaticKeys,
			"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL,
			"AWS_CONTAINER_CREDENTIALS_FULL_URI="+creds.URL,
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+tokenFile)...)
		checkFetches(t, env)
		if got := creds.authorizations(); len(got) != 1 || got[0] != "eks-token-from-file" {
			t.Errorf("credential server saw Authorization %q, want one request with the file's token", got)
		}
		sm.check(t, "ASIAEKSPODROLE", "eks-session")
	})
	t.Run("shared config profile", func(t *testing.T) {
		t.Parallel()
		sm := startSignedBy(t)
		dir := t.TempDir()
		config := filepath.Join(dir, "config")
		credentials := filepath.Join(dir, "credentials")
		writeFile(t, config, "[default]\nregion = eu-west-3\n\n[profile dev]\nregion = us-east-1\n")
		writeFile(t, credentials, "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = x\n\n"+
			"[dev]\naws_access_key_id = AKIADEVPROFILE\naws_secret_access_key = dev-secret\naws_session_token = dev-session\n")
		// No AWS_REGION either: the profile's region must be used.
		env := withEnv(baseEnv(t), append(noStaticKeys, "-AWS_REGION",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL,
			"AWS_PROFILE=dev",
			"AWS_CONFIG_FILE="+config,
			"AWS_SHARED_CREDENTIALS_FILE="+credentials)...)
		checkFetches(t, env)
		sm.check(t, "AKIADEVPROFILE", "dev-session")
	})
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkFetches runs secretenv with env on a secret in moto (us-east-1) and
// asserts that the child saw it.
func checkFetches(t *testing.T, env []string) {
	t.Helper()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"FROM_SECRET":"yes"}`)
	res := runSecretenv(t, withEnv(env, "SECRET_ID="+name), "", "--timeout", "10s", "--", "env", "-0")
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	if got := envOf(t, res.Stdout)["FROM_SECRET"]; got != "yes" {
		t.Errorf("child saw FROM_SECRET=%q", got)
	}
}

// TestCredentialFailures proves that each way of not getting credentials
// ends in one clear line within the deadline, and the command never starts.
func TestCredentialFailures(t *testing.T) {
	t.Parallel()
	hour := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name  string
		creds http.HandlerFunc // nil: no credential server
		// sm answers Secrets Manager; nil means moto.
		sm   func(w http.ResponseWriter, req getSecretValueRequest, n int64)
		env  func(t *testing.T, credURL string) []string
		want []string
	}{
		{
			name: "no credentials, IMDS dead",
			env: func(t *testing.T, _ string) []string {
				return append(noStaticKeys, "-AWS_EC2_METADATA_DISABLED",
					"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://"+closedPort(t))
			},
			// A refused connection is not retried until the deadline: IMDS
			// has a budget of its own (TestInstanceMetadata).
			want: []string{"no AWS credentials", "AWS_PROFILE"},
		},
		{
			name:  "endpoint fails",
			creds: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
			env:   containerEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN=tok"),
			// A 5xx or a refused connection is retried until the deadline,
			// as an agent can be briefly unavailable while a task starts.
			want: []string{"container credentials endpoint", "within the 5s deadline"},
		},
		{
			name:  "wrong token",
			creds: issueCredentials("right-token", "ASIAX", "s", hour),
			env:   containerEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token"),
			want:  []string{"container credentials endpoint", "HTTP 403", "AWS_CONTAINER_AUTHORIZATION_TOKEN"},
		},
		{
			name:  "endpoint down",
			creds: nil,
			env: func(t *testing.T, _ string) []string {
				return append(noStaticKeys, "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://"+closedPort(t)+"/creds",
					"AWS_CONTAINER_AUTHORIZATION_TOKEN=tok")
			},
			want: []string{"container credentials endpoint", "within the 5s deadline"},
		},
		{
			name:  "endpoint garbled",
			creds: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"AccessKeyId":`)) },
			env:   containerEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN=tok"),
			want:  []string{"container credentials endpoint", "not valid credentials JSON"},
		},
		{
			name:  "missing token file",
			creds: issueCredentials("tok", "ASIAX", "s", hour),
			env: func(t *testing.T, credURL string) []string {
				return containerEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/nonexistent/eks-pod-identity-token")(t, credURL)
			},
			want: []string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/eks-pod-identity-token", "no such file"},
		},
		{
			name:  "expired credentials",
			creds: issueCredentials("tok", "ASIAEXPIRED", "s", time.Now().Add(-time.Hour)),
			sm: func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				writeAWSError(w, http.StatusBadRequest, "ExpiredTokenException")
			},
			env:  containerEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN=tok"),
			want: []string{"expired", "ExpiredTokenException"},
		},
		{
			name: "expired static session",
			sm: func(w http.ResponseWriter, req getSecretValueRequest, _ int64) {
				writeAWSError(w, http.StatusBadRequest, "ExpiredTokenException")
			},
			env:  func(*testing.T, string) []string { return []string{"AWS_SESSION_TOKEN=old"} },
			want: []string{"expired", "ExpiredTokenException"},
		},
		{
			name: "profile missing",
			env: func(*testing.T, string) []string {
				return append(noStaticKeys, "AWS_PROFILE=nonexistent-profile")
			},
			want: []string{`"nonexistent-profile"`, "AWS_PROFILE"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			credURL := ""
			if tc.creds != nil {
				credURL = startCredServer(t, tc.creds).URL
			}
			env := withEnv(baseEnv(t), "SECRET_ID=app")
			if tc.sm != nil {
				env = startFakeSM(t, tc.sm).env(t, "SECRET_ID=app")
			}
			env = withEnv(env, tc.env(t, credURL)...)
			start := time.Now()
			res := runSecretenv(t, env, "", "--timeout", "5s", "--", "sh", "-c", "echo STARTED")
			took := time.Since(start)
			checkRefused(t, res, tc.want...)
			t.Logf("%v: %s", took.Round(time.Millisecond), strings.TrimSpace(res.Stderr))
			if took > 10*time.Second {
				t.Errorf("took %v with --timeout 5s", took)
			}
		})
	}
}

// containerEnv points the SDK at the test's credential server, with the
// token setting given.
func containerEnv(token string) func(*testing.T, string) []string {
	return func(_ *testing.T, credURL string) []string {
		return append(noStaticKeys, "AWS_CONTAINER_CREDENTIALS_FULL_URI="+credURL, token)
	}
}

// TestInstanceMetadata proves that credentials still come from EC2's
// instance metadata service (IMDSv2: a session token, then the role, then its
// credentials), and that an address where nothing answers costs about a
// second, not the SDK's default 5 s nor secretenv's whole deadline.
func TestInstanceMetadata(t *testing.T) {
	t.Parallel()
	imdsEnv := func(url string) []string {
		return append(noStaticKeys, "-AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+url)
	}
	t.Run("answers", func(t *testing.T) {
		t.Parallel()
		var unsigned atomic.Int64 // metadata reads without the session token
		imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			const token = "imds-session-token"
			switch {
			case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
				w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
				io.WriteString(w, token)
				return
			case r.Header.Get("X-Aws-Ec2-Metadata-Token") != token:
				unsigned.Add(1)
				w.WriteHeader(http.StatusUnauthorized)
			case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
				io.WriteString(w, "app-instance-role")
			case r.URL.Path == "/latest/meta-data/iam/security-credentials/app-instance-role":
				json.NewEncoder(w).Encode(map[string]string{
					"Code": "Success", "Type": "AWS-HMAC",
					"AccessKeyId": "ASIAINSTANCEROLE", "SecretAccessKey": "instance-secret", "Token": "instance-session",
					"LastUpdated": time.Now().UTC().Format(time.RFC3339),
					"Expiration":  time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
				})
			default:
				w.WriteHeader(http.StatusNotFound)
			}
		}))
		t.Cleanup(imds.Close)
		sm := startSignedBy(t)
		checkFetches(t, withEnv(baseEnv(t), append(imdsEnv(imds.URL), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL)...))
		sm.check(t, "ASIAINSTANCEROLE", "instance-session")
		if n := unsigned.Load(); n > 0 {
			t.Errorf("%d metadata reads without the IMDSv2 session token", n)
		}
	})
	t.Run("never answers", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		imds := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
		t.Cleanup(func() {
			close(release)
			imds.CloseClientConnections()
			imds.Close()
		})
		env := withEnv(baseEnv(t), append(imdsEnv(imds.URL), "SECRET_ID=app")...)
		// The budget is 1 s; the bound leaves a second for a loaded machine.
		res := runTimed(t, 2*time.Second, env, "--", "sh", "-c", "echo STARTED")
		checkRefused(t, res, "no AWS credentials", "AWS_PROFILE")
	})
}
