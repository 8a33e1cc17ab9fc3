package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// listenServer is a real HTTP server (Python's http.server) that serves
// "APP_VALUE PID" on every GET. It takes socket 3 only when LISTEN_PID is
// its own pid, as sd_listen_fds(3) does, else binds 127.0.0.1:PORT (its
// first argument) itself. With "notify" as second argument it sends
// READY=1 to NOTIFY_SOCKET once serving, as gunicorn and puma do. On SIGTERM
// it finishes the request in hand and exits without accepting more, so a
// connection still in the backlog is left to the next server. It ends by
// itself after 120 s, so no test leaves it behind.
const listenServer = `import http.server, os, signal, socket, sys, time
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("%s %d\n" % (os.environ.get("APP_VALUE", ""), os.getpid())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
if os.environ.get("LISTEN_PID") == str(os.getpid()):
    sock = socket.socket(fileno=3)
    srv = http.server.HTTPServer(("127.0.0.1", 0), H, bind_and_activate=False)
    srv.socket.close()
    srv.socket = sock
else:
    srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
# Non-blocking, so that a connection another server accepted first (both
# serve for a moment under --ready notify) never blocks this one in accept.
srv.socket.setblocking(False)
srv.timeout = 0.05
print("serving %s pid=%d LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s NOTIFY_SOCKET=%s" % (
    os.environ.get("APP_VALUE"), os.getpid(), os.environ.get("LISTEN_PID"),
    os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_FDNAMES"),
    "set" if os.environ.get("NOTIFY_SOCKET") else "unset"), flush=True)
if sys.argv[2:] == ["notify"] and os.environ.get("NOTIFY_SOCKET"):
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.connect(os.environ["NOTIFY_SOCKET"])
    n.send(b"READY=1")
    n.close()
end = time.monotonic() + 120
while not stop and time.monotonic() < end:
    srv.handle_request()
`

// writeListenServer writes the server's script and returns its path.
func writeListenServer(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "serve.py")
	if err := os.WriteFile(path, []byte(listenServer), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// served is one request of the client: the value and pid in the answer, or
// the error, and how long it took.
type served struct {
	value string
	pid   int
	err   error
	took  time.Duration
}

// pollingClient asks url every 20 ms on a new connection each time, until
// stopped.
type pollingClient struct {
	mu    sync.Mutex
	got   []served
	stopc chan struct{}
	done  chan struct{}
}

func startClient(t *testing.T, url string) *pollingClient {
	c := &pollingClient{stopc: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(c.done)
		for {
			select {
			case <-c.stopc:
				return
			case <-time.After(20 * time.Millisecond):
			}
			start := time.Now()
			s := served{}
			resp, err := client.Get(url)
			if err == nil {
				var body []byte
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if _, scanErr := fmt.Sscanf(string(body), "%s %d", &s.value, &s.pid); err == nil && scanErr != nil {
					err = fmt.Errorf("answer %q: %v", body, scanErr)
				}
			}
			s.err, s.took = err, time.Since(start)
			c.mu.Lock()
			c.got = append(c.got, s)
			c.mu.Unlock()
		}
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *pollingClient) stop() {
	select {
	case <-c.stopc:
	default:
		close(c.stopc)
	}
	<-c.done
}

func (c *pollingClient) answers() []served {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]served(nil), c.got...)
}

// waitValue waits until the client has been served value.
func (c *pollingClient) waitValue(t *testing.T, value string) {
	t.Helper()
	deadline := time.Now().Add(watchLimit)
	for time.Now().Before(deadline) {
		for _, s := range c.answers() {
			if s.err == nil && s.value == value {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the client was never served %q", value)
}

// rotationResult is what a client saw across rotations.
type rotationResult struct {
	answers  []served
	failed   int
	longest  time.Duration
	stdout   string
	stderr   string
	inverted int // answers with an older value than the one before
}

var servingLine = regexp.MustCompile(`serving (\S+) pid=(\d+) LISTEN_PID=(\S+) LISTEN_FDS=(\S+) LISTEN_FDNAMES=(\S+) NOTIFY_SOCKET=(\S+)`)

// rotate runs the server under secretenv --watch with extra flags, then
// writes three new versions of its secret, one at a time, while the client
// asks every 20 ms, and returns what the client saw.
func rotate(t *testing.T, serverArgs []string, flags ...string) rotationResult {
	t.Helper()
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"APP_VALUE":"v0"}`)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	portText := strconv.Itoa(port)
	args := watchArgs(flags...)
	for i, f := range args {
		args[i] = strings.ReplaceAll(f, "PORT", portText)
	}
	args = append(args, "--", "python3", writeListenServer(t), portText)
	args = append(args, serverArgs...)
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), args...)
	w.waitFor(t, w.stdout.String, "serving v0")
	c := startClient(t, "http://127.0.0.1:"+portText+"/")
	c.waitValue(t, "v0")
	for i := 1; i <= 3; i++ {
		v := "v" + strconv.Itoa(i)
		putSecret(t, name, `{"APP_VALUE":"`+v+`"}`)
		w.waitFor(t, w.stdout.String, "serving "+v)
		c.waitValue(t, v)
	}
	// A few more answers from the last server.
	n := len(c.answers())
	for len(c.answers()) < n+5 {
		time.Sleep(20 * time.Millisecond)
	}
	c.stop()
	r := rotationResult{answers: c.answers(), stdout: w.stdout.String(), stderr: w.stderr.String()}
	last := ""
	for _, s := range r.answers {
		r.longest = max(r.longest, s.took)
		if s.err != nil {
			r.failed++
			continue
		}
		if s.value < last {
			r.inverted++
		}
		last = max(last, s.value)
	}
	return r
}

// checkActivation checks every "serving" line: LISTEN_PID is the server's
// own pid, after each restart too, with one socket named after the address.
func checkActivation(t *testing.T, stdout string, starts int) {
	t.Helper()
	lines := servingLine.FindAllStringSubmatch(stdout, -1)
	if len(lines) != starts {
		t.Fatalf("%d servers started, want %d; stdout %q", len(lines), starts, stdout)
	}
	for _, m := range lines {
		if m[3] != m[2] || m[4] != "1" || !strings.HasPrefix(m[5], "127.0.0.1_") {
			t.Errorf("server %s pid %s saw LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s; want its own pid, 1 socket, 127.0.0.1_PORT", m[1], m[2], m[3], m[4], m[5])
		}
	}
}

// TestListenRotation is the point of --listen under --watch: three
// rotations under a client asking every 20 ms lose no request, and the
// values come in order; without --listen the same rotations refuse
// connections while no server listens.
func TestListenRotation(t *testing.T) {
	t.Run("with --listen", func(t *testing.T) {
		r := rotate(t, nil, "--listen", "127.0.0.1:PORT")
		t.Logf("with --listen: %d requests, %d failed, longest %v", len(r.answers), r.failed, r.longest.Round(time.Millisecond))
		if r.failed != 0 {
			for _, s := range r.answers {
				if s.err != nil {
					t.Errorf("request failed: %v", s.err)
				}
			}
		}
		if r.inverted != 0 {
			t.Errorf("%d answers came with an older value than the one before", r.inverted)
		}
		checkActivation(t, r.stdout, 4)
	})
	t.Run("without --listen", func(t *testing.T) {
		r := rotate(t, nil)
		t.Logf("without --listen: %d requests, %d failed, longest %v", len(r.answers), r.failed, r.longest.Round(time.Millisecond))
		// Each restart leaves the port closed from the old server's exit
		// until Python has started and bound it again: tens of ms, more
		// than the client's 20 ms, three times.
		if r.failed == 0 {
			t.Errorf("no request failed without --listen; this test no longer shows what --listen is for")
		}
		for _, m := range servingLine.FindAllStringSubmatch(r.stdout, -1) {
			if m[3] != "None" || m[4] != "None" || m[6] != "unset" {
				t.Errorf("without --listen the server saw LISTEN_PID=%s LISTEN_FDS=%s NOTIFY_SOCKET=%s", m[3], m[4], m[6])
			}
		}
	})
	t.Run("with --listen and --ready notify", func(t *testing.T) {
		r := rotate(t, []string{"notify"}, "--listen", "127.0.0.1:PORT", "--ready", "notify")
		t.Logf("with --listen --ready notify: %d requests, %d failed, longest %v, %d answered by the old server after the new one", len(r.answers), r.failed, r.longest.Round(time.Millisecond), r.inverted)
		if r.failed != 0 {
			t.Errorf("%d requests failed", r.failed)
		}
		checkActivation(t, r.stdout, 4)
		if n := strings.Count(r.stderr, "the new command is ready; stopping the old one"); n != 3 {
			t.Errorf("%d overlapping restarts, want 3; stderr %q", n, r.stderr)
		}
	})
}

// TestListenReadyTimeout: a new command that never says READY=1 is killed
// after --ready-timeout and the old one keeps serving.
func TestListenReadyTimeout(t *testing.T) {
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"APP_VALUE":"v0"}`)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	w := startWatching(t, withEnv(baseEnv(t), "SECRET_ID="+name), watchArgs("--listen", addr,
		"--ready", "notify", "--ready-timeout", "1s", "--", "python3", writeListenServer(t), "0")...)
	w.waitFor(t, w.stdout.String, "serving v0")
	putSecret(t, name, `{"APP_VALUE":"v1"}`)
	// Whether the new server got as far as printing within the second
	// depends on the machine's load; that it was not kept does not.
	w.waitFor(t, w.stderr.String, "the new command was not ready within 1s (--ready-timeout); kept the old one")
	c := startClient(t, "http://"+addr+"/")
	for len(c.answers()) < 5 {
		time.Sleep(20 * time.Millisecond)
	}
	c.stop()
	for _, s := range c.answers() {
		if s.err != nil || s.value != "v0" {
			t.Errorf("answer %q (error %v), want v0 from the old server", s.value, s.err)
		}
	}
}

// TestListenExec: without --watch secretenv execs the command, which keeps
// secretenv's pid, and that pid is LISTEN_PID; inherited LISTEN_* and
// NOTIFY_SOCKET are replaced, not passed on.
func TestListenExec(t *testing.T) {
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"APP_VALUE":"v0"}`)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := withEnv(baseEnv(t), "SECRET_ID="+name, "LISTEN_PID=1", "LISTEN_FDS=4", "LISTEN_FDNAMES=stale", "NOTIFY_SOCKET=/stale")
	cmd := exec.Command(bin, "--listen", addr, "--", "python3", writeListenServer(t), "0")
	cmd.Env = env
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(watchLimit):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(watchLimit)
	for !strings.Contains(out.String(), "serving") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	m := servingLine.FindStringSubmatch(out.String())
	pid := strconv.Itoa(cmd.Process.Pid)
	if m == nil || m[2] != pid || m[3] != pid || m[4] != "1" || m[6] != "unset" {
		t.Fatalf("want the server on secretenv's pid %s with LISTEN_PID=%s LISTEN_FDS=1 and no NOTIFY_SOCKET; output %q", pid, pid, out.String())
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "v0 " + pid + "\n"; string(body) != want {
		t.Errorf("served %q, want %q", body, want)
	}
}

// TestListenEnvironment: without --listen an inherited LISTEN_* passes
// through untouched and none is added; with it the command's own replace
// them.
func TestListenEnvironment(t *testing.T) {
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"APP_VALUE":"v0"}`)
	cases := []struct {
		name    string
		env     []string
		args    []string
		want    map[string]string
		wantNot []string
	}{
		{"no --listen adds nothing", nil, nil, nil, []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET"}},
		{"no --listen passes inherited", []string{"LISTEN_PID=7", "LISTEN_FDS=2", "NOTIFY_SOCKET=/run/n"}, nil,
			map[string]string{"LISTEN_PID": "7", "LISTEN_FDS": "2", "NOTIFY_SOCKET": "/run/n"}, nil},
		{"SECRETENV_LISTEN with a bad second address", []string{"LISTEN_PID=7", "LISTEN_FDS=2", "NOTIFY_SOCKET=/run/n", "SECRETENV_LISTEN=127.0.0.1:0, 127.0.0.1:0x"}, nil,
			nil, nil}, // refused with 125, checked below
		{"--listen two sockets", []string{"LISTEN_FDS=9", "NOTIFY_SOCKET=/run/n"}, []string{"--listen", "127.0.0.1:0", "--listen", "[::1]:0"},
			map[string]string{"LISTEN_FDS": "2", "LISTEN_FDNAMES": "127.0.0.1_0:[__1]_0"}, []string{"NOTIFY_SOCKET", "SECRETENV_INTERNAL_LISTEN_SHIM"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "--", "env", "-0")
			res := runSecretenv(t, withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name}, tc.env...)...), "", args...)
			if tc.want == nil && tc.wantNot == nil {
				if res.Code != 125 || !strings.Contains(res.Stderr, "127.0.0.1:0x") {
					t.Fatalf("exit %d, stderr %q; want 125 naming 127.0.0.1:0x", res.Code, res.Stderr)
				}
				return
			}
			if res.Code != 0 {
				if strings.Contains(res.Stderr, "[::1]") && strings.Contains(res.Stderr, "address") {
					t.Skipf("no IPv6 loopback here: %s", res.Stderr)
				}
				t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
			}
			got := envOf(t, res.Stdout)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s=%q, want %q", k, got[k], v)
				}
			}
			for _, k := range tc.wantNot {
				if _, ok := got[k]; ok {
					t.Errorf("%s is set, want it unset", k)
				}
			}
		})
	}
}

// TestListenBindFailure: an address that cannot be bound ends secretenv
// with 125 before anything runs, with one line naming the address.
func TestListenBindFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	takenAddr := taken.Addr().String()
	file := filepath.Join(t.TempDir(), "not-a-socket")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"APP_VALUE":"v0"}`)
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"port in use", nil, []string{"--listen", takenAddr}, "listen " + takenAddr + ": address already in use"},
		{"port in use under --watch", nil, watchArgs("--listen", takenAddr), "listen " + takenAddr + ": address already in use"},
		{"second of two in use", nil, []string{"--listen", "127.0.0.1:0", "--listen", takenAddr}, "listen " + takenAddr + ": address already in use"},
		{"SECRETENV_LISTEN in use", []string{"SECRETENV_LISTEN=" + takenAddr}, nil, "listen " + takenAddr + ": address already in use"},
		{"no port", nil, []string{"--listen", "8080"}, `listen address "8080": want HOST:PORT`},
		{"path not a socket", nil, []string{"--listen", "unix:" + file}, "listen unix:" + file + ": the path exists and is not a socket"},
		{"--ready without --listen", nil, watchArgs("--ready", "notify"), "--ready needs --listen"},
		{"--ready without --watch", nil, []string{"--listen", "127.0.0.1:0", "--ready", "notify"}, "--ready needs --watch"},
		{"--ready unknown", nil, watchArgs("--listen", "127.0.0.1:0", "--ready", "tcp"), `ready "tcp" is not notify`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "--", "sh", "-c", "echo ran")
			res := runSecretenv(t, withEnv(baseEnv(t), append([]string{"SECRET_ID=" + name}, tc.env...)...), "", args...)
			if res.Code != 125 || strings.Contains(res.Stdout, "ran") {
				t.Fatalf("exit %d, stdout %q; want 125 and the command never run", res.Code, res.Stdout)
			}
			if !strings.HasPrefix(res.Stderr, "secretenv: ") || strings.Count(res.Stderr, "\n") != 1 || !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr %q; want one line naming %q", res.Stderr, tc.want)
			}
		})
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Errorf("the file in the way was changed: %q, %v", b, err)
	}
}

// TestListenNoCanary: the failure paths --listen adds (a bind failure, a
// refused key after the sockets were bound, the shim's execve failing)
// print one line and never the secret's value, and the command never runs.
func TestListenNoCanary(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	cases := []struct {
		name   string
		secret string
		env    func(t *testing.T) []string
		listen string
		code   int
	}{
		{"port in use", `{"A":"` + canary + `"}`, nil, taken.Addr().String(), 125},
		{"denied key after the bind", `{"LD_PRELOAD":"` + canary + `"}`, nil, "127.0.0.1:0", 125},
		{"value as a key after the bind", `{"` + canary + `":"x"}`, nil, "127.0.0.1:0", 125},
		{"the shim cannot execute the command", `{"A":"` + canary + `"}`, func(t *testing.T) []string { return []string{"PATH=" + foreignShell(t)} }, "127.0.0.1:0", 126},
	}
	forms := canaryForms()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := secretName(t, "app")
			createSecret(t, "us-east-1", name, tc.secret)
			env := withEnv(baseEnv(t), "SECRET_ID="+name)
			if tc.env != nil {
				env = withEnv(env, tc.env(t)...)
			}
			for _, mode := range [][]string{nil, {"--verbose"}, {"--watch"}} {
				args := append(append([]string{"--listen", tc.listen}, mode...), "--", "sh", "-c", "echo STARTED")
				res := runSecretenv(t, env, "", args...)
				if res.Code != tc.code || strings.Contains(res.Stdout, "STARTED") {
					t.Errorf("%q: exit %d, stdout %q; want %d and the command not run", mode, res.Code, res.Stdout, tc.code)
				}
				if mode == nil {
					checkOneLine(t, res.Stderr)
				}
				for _, f := range forms {
					if strings.Contains(res.Stdout+res.Stderr, f) {
						t.Errorf("%q: output holds the canary as %q:\n%s", mode, f, res.Stderr)
					}
				}
			}
		})
	}
}
