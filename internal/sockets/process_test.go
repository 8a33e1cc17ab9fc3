//go:build linux

package sockets

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary plays every part: the shim (as secretenv's main does
// first thing), a small HTTP server that takes its sockets by socket
// activation only when LISTEN_PID is its own pid (as sd_listen_fds(3) and
// the libraries built on it do), and secretenv in exec mode.
const roleVar = "SOCKETS_TEST_ROLE"

func TestMain(m *testing.M) {
	if ShimRequested() {
		err := RunShim()
		fmt.Fprintln(os.Stderr, "secretenv:", err)
		var ee *ExecError
		if errors.As(err, &ee) {
			os.Exit(127)
		}
		os.Exit(125)
	}
	switch os.Getenv(roleVar) {
	case "server":
		os.Exit(serve())
	case "exec":
		os.Exit(execMode())
	}
	os.Exit(m.Run())
}

// seen is what the server reports of its start.
type seen struct {
	PID, ListenPID, ListenFDs int
	FDNames, Argv0            string
	ShimVarSet, ExtraFDOpen   bool
}

func serve() int {
	pid, _ := strconv.Atoi(os.Getenv("LISTEN_PID"))
	n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if pid != os.Getpid() || n < 1 {
		fmt.Fprintf(os.Stderr, "server: LISTEN_PID=%d, my pid %d, LISTEN_FDS=%d: not for me\n", pid, os.Getpid(), n)
		return 3
	}
	_, shimSet := os.LookupEnv(shimVar)
	s := seen{os.Getpid(), pid, n, os.Getenv("LISTEN_FDNAMES"), os.Args[0], shimSet, leaked(FirstFD + n)}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(s)
	})
	errs := make(chan error, n)
	for i := range n {
		l, err := net.FileListener(os.NewFile(uintptr(FirstFD+i), "listen"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			return 3
		}
		go func() { errs <- http.Serve(l, handler) }()
	}
	if path := os.Getenv("NOTIFY_SOCKET"); path != "" {
		if err := sendNotify(path, "STATUS=serving\nREADY=1"); err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			return 3
		}
	}
	fmt.Fprintln(os.Stderr, "server:", <-errs)
	return 3
}

// leaked reports whether a listening socket from first on came through
// execve (close-on-exec clear): a copy that the shim failed to close.
// Other inherited descriptors may be the test runner's own.
func leaked(first int) bool {
	for fd := first; fd < 256; fd++ {
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && v == 1 {
				return true
			}
		}
	}
	return false
}

func sendNotify(path, msg string) error {
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(msg))
	return err
}

// execMode is secretenv in exec mode: it binds, opens files so that the
// sockets do not sit on 3.. already, says where it listens and executes
// the server with the sockets.
func execMode() int {
	addrs, err := ParseAddrs(SplitList(os.Getenv("SOCKETS_TEST_ADDRS")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	var held []*os.File
	for range 3 {
		f, _ := os.Open("/dev/null")
		held = append(held, f)
	}
	set, err := Listen(addrs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	fmt.Println(strings.Join(set.Bound(), ","))
	env := append(stripNames(StripEnv(os.Environ()), roleVar), roleVar+"=server")
	self, _ := os.Executable()
	err = set.Exec(self, []string{"exec-argv0"}, env)
	fmt.Fprintln(os.Stderr, err)
	return 126
}

// listen binds addrs and closes the sockets when the test ends.
func listen(t *testing.T, addrs ...string) *Set {
	t.Helper()
	parsed, err := ParseAddrs(addrs)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Listen(parsed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set
}

// startServer starts the server through the shim, as the supervisor will,
// and kills it when the test ends.
func startServer(t *testing.T, set *Set, env ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env = append(append(StripEnv(os.Environ()), roleVar+"=server"), env...)
	cmd := set.Command(self, []string{"server-argv0"}, env)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

func client(network, addr string) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second, // a bound, not an assertion
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		},
	}
}

func get(t *testing.T, network, addr string) seen {
	t.Helper()
	resp, err := client(network, addr).Get("http://server/")
	if err != nil {
		t.Fatalf("GET over %s %s: %v", network, addr, err)
	}
	defer resp.Body.Close()
	return decode(t, resp.Body)
}

func decode(t *testing.T, r io.Reader) seen {
	t.Helper()
	var s seen
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCommandThroughShim(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "app.sock")
	set := listen(t, "127.0.0.1:0", "unix:"+sock)
	cmd := startServer(t, set)
	for _, tc := range []struct{ name, network, addr string }{
		{"tcp", "tcp", set.Bound()[0]},
		{"unix", "unix", sock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, tc.network, tc.addr)
			want := seen{
				PID: cmd.Process.Pid, ListenPID: cmd.Process.Pid, ListenFDs: 2,
				FDNames: "127.0.0.1_0:unix_" + sock, Argv0: "server-argv0",
			}
			if got != want {
				t.Errorf("server saw %+v, want %+v", got, want)
			}
		})
	}
}

// TestBacklogAcrossRestart: a request sent while no server runs waits in the
// kernel's backlog of the socket the Set holds, and the next server answers
// it: no connection is refused across a restart.
func TestBacklogAcrossRestart(t *testing.T) {
	set := listen(t, "127.0.0.1:0")
	addr := set.Bound()[0]
	cmd := startServer(t, set)
	if got := get(t, "tcp", addr); got.PID != cmd.Process.Pid {
		t.Fatalf("answered by %d, want %d", got.PID, cmd.Process.Pid)
	}
	for i := range 3 {
		stop(t, cmd)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("restart %d: dial with no server running: %v", i, err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\nHost: server\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		cmd = startServer(t, set)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound only
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("restart %d: the waiting request got no answer: %v", i, err)
		}
		if got := decode(t, resp.Body); got.PID != cmd.Process.Pid || got.ListenPID != cmd.Process.Pid {
			t.Errorf("restart %d: answered by %+v, want the new server %d", i, got, cmd.Process.Pid)
		}
	}
}

// TestExecMode: exec keeps the pid, and the sockets move to 3.. from
// wherever they were, past descriptors that secretenv had open.
func TestExecMode(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "exec.sock")
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), roleVar+"=exec", "SOCKETS_TEST_ADDRS=127.0.0.1:0,unix:"+sock,
		"LISTEN_PID=1", "LISTEN_FDS=9", "NOTIFY_SOCKET=/stale")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("exec mode said nothing: %v", err)
	}
	addr, _, _ := strings.Cut(strings.TrimSpace(line), ",")
	want := seen{
		PID: cmd.Process.Pid, ListenPID: cmd.Process.Pid, ListenFDs: 2,
		FDNames: "127.0.0.1_0:unix_" + sock, Argv0: "exec-argv0",
	}
	for _, tc := range []struct{ name, network, addr string }{{"tcp", "tcp", addr}, {"unix", "unix", sock}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(t, tc.network, tc.addr); got != want {
				t.Errorf("server saw %+v, want %+v", got, want)
			}
		})
	}
}

func TestShimFailures(t *testing.T) {
	self, _ := os.Executable()
	set := listen(t, "127.0.0.1:0")
	tests := []struct {
		name     string
		cmd      func() *exec.Cmd
		wantCode int
		wantErr  string
	}{
		{
			name:     "command not found",
			cmd:      func() *exec.Cmd { return set.Command("/nonexistent/app", []string{"app"}, os.Environ()) },
			wantCode: 127,
			wantErr:  "secretenv: /nonexistent/app: no such file or directory",
		},
		{
			// A marker that a user set by hand names no listening socket:
			// nothing is executed.
			name: "stray marker",
			cmd: func() *exec.Cmd {
				c := exec.Command(self)
				c.Env = append(os.Environ(), shimVar+"=0;/bin/echo")
				return c
			},
			wantCode: 125,
			wantErr:  "descriptor 0 is not a listening socket; unset it",
		},
		{
			name: "malformed marker",
			cmd: func() *exec.Cmd {
				c := exec.Command(self)
				c.Env = append(os.Environ(), shimVar+"=/bin/echo")
				return c
			},
			wantCode: 125,
			wantErr:  "is set wrongly; unset it",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := tc.cmd()
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.wantCode {
				t.Fatalf("exit = %v, want status %d; stderr %q", err, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantErr) || stdout.Len() != 0 {
				t.Errorf("stderr %q, stdout %q; want stderr with %q and no output", stderr.String(), stdout.String(), tc.wantErr)
			}
		})
	}
}

func TestListenErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	live := filepath.Join(dir, "live.sock")
	liveL, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer liveL.Close()
	tests := []struct {
		name    string
		addrs   []string
		wantErr string
	}{
		{"port taken", []string{taken.Addr().String()}, "listen " + taken.Addr().String() + ": address already in use; another process listens there"},
		{"not local", []string{"192.0.2.1:0"}, "listen 192.0.2.1:0: cannot assign requested address; no interface"},
		{"file in the way", []string{"unix:" + file}, "listen unix:" + file + ": the path exists and is not a socket"},
		{"socket in use", []string{"unix:" + live}, "listen unix:" + live + ": address already in use"},
		{"no directory", []string{"unix:" + dir + "/no/such.sock"}, "listen unix:" + dir + "/no/such.sock: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addrs, err := ParseAddrs(tc.addrs)
			if err != nil {
				t.Fatal(err)
			}
			set, err := Listen(addrs)
			if err == nil {
				set.Close()
				t.Fatalf("Listen(%q) succeeded", tc.addrs)
			}
			if !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("Listen(%q) error %q, want it to start %q", tc.addrs, err, tc.wantErr)
			}
		})
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the file in the way was touched: %v", err)
	}
}

// TestListenFailsClosed: when a later address fails, the earlier ones are
// closed and their socket files removed.
func TestListenFailsClosed(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	sock := filepath.Join(t.TempDir(), "first.sock")
	addrs, _ := ParseAddrs([]string{"unix:" + sock, taken.Addr().String()})
	if _, err := Listen(addrs); err == nil {
		t.Fatal("Listen succeeded with a taken port")
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the first socket file is left: %v", err)
	}
}

// TestStaleSocketReplaced: a socket file nobody listens on, left by an
// earlier run, is replaced; Close removes the file it made.
func TestStaleSocketReplaced(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "stale.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	set := listen(t, "unix:"+sock)
	startServer(t, set)
	if got := get(t, "unix", sock); got.ListenFDs != 1 {
		t.Errorf("server saw %+v", got)
	}
	set.Close()
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the socket file: %v", err)
	}
}

func TestWaitReady(t *testing.T) {
	n, err := NewNotify()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if fi, err := os.Stat(filepath.Dir(n.Path())); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("notify directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	// This process is not the command: its READY=1, queued first, is not
	// taken for the command's.
	if err := sendNotify(n.Path(), "READY=1"); err != nil {
		t.Fatal(err)
	}
	set := listen(t, "127.0.0.1:0")
	cmd := startServer(t, set, n.Env())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound only
	defer cancel()
	if err := n.WaitReady(ctx, cmd.Process.Pid); err != nil {
		t.Fatalf("WaitReady(server pid): %v", err)
	}
	if got := get(t, "tcp", set.Bound()[0]); got.PID != cmd.Process.Pid {
		t.Errorf("answered by %+v", got)
	}

	t.Run("another pid is ignored", func(t *testing.T) {
		if err := sendNotify(n.Path(), "READY=1"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		stopped := errors.New("stopped by the test")
		done := make(chan error, 1)
		go func() { done <- n.WaitReady(ctx, cmd.Process.Pid) }()
		// The test's own READY=1 is read and ignored; a second message
		// from the right pid without READY=1 is ignored too. Only then is
		// the wait cancelled: it must end with the cause, not as ready.
		if err := sendNotify(n.Path(), "STATUS=still busy"); err != nil {
			t.Fatal(err)
		}
		cancel(stopped)
		if err := <-done; !errors.Is(err, stopped) {
			t.Errorf("WaitReady = %v, want the cancellation cause", err)
		}
	})
}
