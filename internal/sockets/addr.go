// Package sockets holds listening sockets across restarts of a command and
// hands them to it by the systemd socket-activation protocol
// (sd_listen_fds(3)): descriptors from 3 in order, LISTEN_FDS, LISTEN_PID and
// LISTEN_FDNAMES. It also receives the systemd readiness notification
// (sd_notify(3): READY=1 on a unixgram socket) so that a supervisor can start
// a new command before it stops the old one. It knows nothing of secrets.
package sockets

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// unixPrefix marks a Unix stream socket address: unix:PATH.
const unixPrefix = "unix:"

// maxUnixPath is the longest socket path Linux takes: sun_path is 108 bytes
// with its terminating NUL.
const maxUnixPath = 107

// maxNameLen is systemd's FDNAME_MAX: a longer LISTEN_FDNAMES entry makes
// sd_listen_fds_with_names(3) reject the whole variable.
const maxNameLen = 255

// Addr is one address to listen on, as the user wrote it.
type Addr struct {
	// Text is the address as given: HOST:PORT or unix:PATH. Errors name it.
	Text string
	// Network is "tcp" or "unix".
	Network string
	// Address is what is bound: HOST:PORT, or the socket's path.
	Address string
}

// Name is the address's entry in LISTEN_FDNAMES: its text with every ':'
// and every byte that is not printable ASCII replaced by '_' (systemd
// rejects ':' as the list separator and control characters), at most 255
// bytes; "listen" when nothing printable is left.
func (a Addr) Name() string {
	var b strings.Builder
	for i := 0; i < len(a.Text) && b.Len() < maxNameLen; i++ {
		c := a.Text[i]
		if c == ':' || c <= ' ' || c > '~' {
			c = '_'
		}
		b.WriteByte(c)
	}
	if strings.Trim(b.String(), "_") == "" {
		return "listen"
	}
	return b.String()
}

// SplitList splits a comma-separated list of addresses, as
// SECRETENV_LISTEN holds them, dropping blanks around each entry. An empty
// string is no address.
func SplitList(s string) []string {
	var list []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			list = append(list, part)
		}
	}
	return list
}

// ParseAddrs checks each address and returns them in order. HOST:PORT needs
// a numeric port (a service name needs /etc/services, which images often
// lack) and may leave HOST empty for every interface; an IPv6 host goes in
// brackets. unix:PATH needs a path of at most 107 bytes. The same address
// twice is an error: the second bind would fail anyway, less clearly.
func ParseAddrs(list []string) ([]Addr, error) {
	addrs := make([]Addr, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, text := range list {
		a, err := parseAddr(text)
		if err != nil {
			return nil, err
		}
		key := a.Network + " " + a.Address
		if seen[key] {
			return nil, fmt.Errorf("listen address %q: given twice", text)
		}
		seen[key] = true
		addrs = append(addrs, a)
	}
	return addrs, nil
}

func parseAddr(text string) (Addr, error) {
	if path, ok := strings.CutPrefix(text, unixPrefix); ok {
		switch {
		case path == "":
			return Addr{}, fmt.Errorf("listen address %q: no path after unix:; use unix:/run/app.sock", text)
		case len(path) > maxUnixPath:
			return Addr{}, fmt.Errorf("listen address %q: the path is %d bytes, Linux takes at most %d; use a shorter path", text, len(path), maxUnixPath)
		case strings.IndexByte(path, 0) >= 0:
			return Addr{}, errors.New("listen address: a unix: path with a NUL byte")
		}
		return Addr{Text: text, Network: "unix", Address: path}, nil
	}
	host, port, err := net.SplitHostPort(text)
	if err != nil {
		return Addr{}, fmt.Errorf("listen address %q: want HOST:PORT (127.0.0.1:8080, :8080, [::1]:8080) or unix:PATH", text)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		return Addr{}, fmt.Errorf("listen address %q: port %q is not a number from 0 to 65535", text, port)
	}
	if strings.ContainsAny(host, " \t/") {
		return Addr{}, fmt.Errorf("listen address %q: host %q is not an IP address or host name", text, host)
	}
	return Addr{Text: text, Network: "tcp", Address: text}, nil
}
