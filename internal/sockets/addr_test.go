//go:build unix

package sockets

import (
	"slices"
	"strings"
	"testing"
)

func TestParseAddrs(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []Addr
		wantErr string
	}{
		{name: "tcp loopback", in: []string{"127.0.0.1:8080"}, want: []Addr{{"127.0.0.1:8080", "tcp", "127.0.0.1:8080"}}},
		{name: "every interface", in: []string{":8080"}, want: []Addr{{":8080", "tcp", ":8080"}}},
		{name: "ipv6", in: []string{"[::1]:80"}, want: []Addr{{"[::1]:80", "tcp", "[::1]:80"}}},
		{name: "unix", in: []string{"unix:/run/app.sock"}, want: []Addr{{"unix:/run/app.sock", "unix", "/run/app.sock"}}},
		{name: "order kept", in: []string{"unix:a.sock", ":1"}, want: []Addr{{"unix:a.sock", "unix", "a.sock"}, {":1", "tcp", ":1"}}},
		{name: "no port", in: []string{"8080"}, wantErr: `listen address "8080": want HOST:PORT`},
		{name: "port name", in: []string{":http"}, wantErr: `port "http" is not a number`},
		{name: "port too big", in: []string{":65536"}, wantErr: `port "65536" is not a number from 0 to 65535`},
		{name: "port with sign", in: []string{":+80"}, wantErr: `port "+80"`},
		{name: "ipv6 without brackets", in: []string{"::1:80"}, wantErr: "want HOST:PORT"},
		{name: "empty unix path", in: []string{"unix:"}, wantErr: "no path after unix:"},
		{name: "long unix path", in: []string{"unix:/" + strings.Repeat("a", 107)}, wantErr: "Linux takes at most 107"},
		{name: "twice", in: []string{":80", ":80"}, wantErr: `listen address ":80": given twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAddrs(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseAddrs(%q) error = %v, want it to contain %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseAddrs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestAddrName(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"tcp", "127.0.0.1:8080", "127.0.0.1_8080"},
		{"ipv6", "[::1]:80", "[__1]_80"},
		{"unix", "unix:/run/app.sock", "unix_/run/app.sock"},
		{"control characters", "unix:/a\tb\n", "unix_/a_b_"},
		{"nothing printable", ":", "listen"},
		{"long", "unix:/" + strings.Repeat("a", 300), "unix_/" + strings.Repeat("a", 249)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Addr{Text: tc.text}).Name(); got != tc.want {
				t.Errorf("Name(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one", ":80", []string{":80"}},
		{"blanks and empties", " :80 ,, unix:/a.sock ,", []string{":80", "unix:/a.sock"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SplitList(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("SplitList(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStripEnv(t *testing.T) {
	in := []string{"A=1", "LISTEN_PID=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=x", "NOTIFY_SOCKET=/s", shimVar + "=3;/bin/x", "LISTEN_PIDX=keep", "NOEQUALS"}
	want := []string{"A=1", "LISTEN_PIDX=keep", "NOEQUALS"}
	if got := StripEnv(in); !slices.Equal(got, want) {
		t.Errorf("StripEnv = %q, want %q", got, want)
	}
}
