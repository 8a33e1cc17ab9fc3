//go:build unix

package sockets

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// FirstFD is where the command finds the first socket: SD_LISTEN_FDS_START.
const FirstFD = 3

// Set is a set of listening sockets that secretenv holds open for as long as
// it lives, whatever happens to the command.
type Set struct {
	addrs []Addr
	files []*os.File
	bound []string       // the bound address: 127.0.0.1:41234 for a :0 port
	inode []unixFileInfo // for a unix socket, the file that Close may remove
}

type unixFileInfo struct {
	path     string
	dev, ino uint64
}

// Listen binds and listens on every address, in order. On any failure it
// closes what it opened and returns one error naming the address, such as
// "listen 127.0.0.1:80: address already in use; ...". The descriptors are
// blocking, as systemd passes them, and close-on-exec until handed on.
func Listen(addrs []Addr) (*Set, error) {
	s := &Set{}
	for _, a := range addrs {
		f, bound, info, err := listenOne(a)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.addrs = append(s.addrs, a)
		s.files = append(s.files, f)
		s.bound = append(s.bound, bound)
		s.inode = append(s.inode, info)
	}
	return s, nil
}

func listenOne(a Addr) (*os.File, string, unixFileInfo, error) {
	var info unixFileInfo
	if a.Network == "unix" {
		if err := removeStaleSocket(a); err != nil {
			return nil, "", info, err
		}
	}
	l, err := net.Listen(a.Network, a.Address)
	if err != nil {
		return nil, "", info, listenError(a, err)
	}
	if ul, ok := l.(*net.UnixListener); ok {
		// Closing the Go listener below must not remove the socket file
		// that the duplicate still serves.
		ul.SetUnlinkOnClose(false)
		var st unix.Stat_t
		if unix.Lstat(a.Address, &st) == nil {
			info = unixFileInfo{a.Address, uint64(st.Dev), uint64(st.Ino)}
		}
	}
	bound := l.Addr().String()
	// File duplicates the descriptor; the Go listener is closed so that
	// nothing in secretenv ever accepts on it, and Fd puts the duplicate in
	// blocking mode: a command that accepts without polling first (Python's
	// socket.fromfd, a prefork server) would otherwise see EAGAIN.
	var f *os.File
	switch l := l.(type) {
	case *net.TCPListener:
		f, err = l.File()
	case *net.UnixListener:
		f, err = l.File()
	}
	l.Close()
	if err != nil {
		os.Remove(info.path)
		return nil, "", info, fmt.Errorf("listen %s: %w", a.Text, err)
	}
	f.Fd()
	return f, bound, info, nil
}

// removeStaleSocket makes room for a unix socket: a path that does not exist
// is fine; a socket file that nobody listens on (connect is refused) is left
// over from an earlier run and is removed; anything else is an error, so
// that a typo never deletes a file and two processes never share a path.
func removeStaleSocket(a Addr) error {
	var st unix.Stat_t
	err := unix.Lstat(a.Address, &st)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return listenError(a, err)
	case st.Mode&unix.S_IFMT != unix.S_IFSOCK:
		return fmt.Errorf("listen %s: the path exists and is not a socket; remove it or choose another path", a.Text)
	}
	c, err := net.Dial("unix", a.Address)
	if err == nil {
		c.Close()
		return fmt.Errorf("listen %s: address already in use; another process listens on this socket", a.Text)
	}
	if !errors.Is(err, unix.ECONNREFUSED) {
		return listenError(a, err)
	}
	if err := os.Remove(a.Address); err != nil && !errors.Is(err, os.ErrNotExist) {
		return listenError(a, err)
	}
	return nil
}

// listenError names the address as the user wrote it and the system's
// reason, without the Go network stack's "listen tcp ...: bind:" layers.
func listenError(a Addr, err error) error {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("listen %s: host %q not found; use an IP address", a.Text, dnsErr.Name)
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("listen %s: %w", a.Text, err)
	}
	hint := ""
	switch {
	case errno == unix.EADDRINUSE:
		hint = "; another process listens there"
	case errno == unix.EADDRNOTAVAIL:
		hint = "; no interface of this machine has that address"
	case errno == unix.EACCES && a.Network == "tcp":
		hint = "; ports below 1024 need root or CAP_NET_BIND_SERVICE"
	case errno == unix.EACCES:
		hint = "; the directory is not writable by this user"
	}
	return fmt.Errorf("listen %s: %s%s", a.Text, errno.Error(), hint)
}

// Len is the number of sockets.
func (s *Set) Len() int { return len(s.files) }

// Addrs are the addresses as given, in descriptor order.
func (s *Set) Addrs() []Addr { return s.addrs }

// Bound is the address each socket is bound to, in order: for a TCP port 0
// the port the kernel chose, for a unix socket its path.
func (s *Set) Bound() []string { return s.bound }

// Files are the sockets in the order the command must find them, from fd 3
// on: what os/exec's ExtraFiles takes. They stay owned by the Set.
func (s *Set) Files() []*os.File { return s.files }

// Env is the socket-activation environment for the process whose pid is
// pid: LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. Add it to an environment
// that went through StripEnv.
func (s *Set) Env(pid int) []string {
	return append([]string{"LISTEN_PID=" + strconv.Itoa(pid)}, s.envNoPID()...)
}

func (s *Set) envNoPID() []string {
	names := make([]string, len(s.addrs))
	for i, a := range s.addrs {
		names[i] = a.Name()
	}
	return []string{
		"LISTEN_FDS=" + strconv.Itoa(len(s.files)),
		"LISTEN_FDNAMES=" + strings.Join(names, ":"),
	}
}

// Close closes the sockets and removes the unix socket files this Set
// created, if they are still the same files. Connections waiting in the
// backlog are refused from then on.
func (s *Set) Close() error {
	if s == nil {
		return nil
	}
	var first error
	for _, f := range s.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, info := range s.inode {
		var st unix.Stat_t
		if info.path != "" && unix.Lstat(info.path, &st) == nil && uint64(st.Dev) == info.dev && uint64(st.Ino) == info.ino {
			os.Remove(info.path)
		}
	}
	s.files, s.inode = nil, nil
	return first
}

// inheritedNames are the variables that describe sockets or a notification
// socket handed to secretenv itself; passed on, they would describe
// descriptors the command does not have, or name the wrong pid.
var inheritedNames = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", shimVar}

// StripEnv returns env without LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES,
// NOTIFY_SOCKET and secretenv's internal shim marker, so that a stale value
// never reaches the command. Use it when secretenv passes sockets or its own
// notification socket; without --listen the environment is left alone.
func StripEnv(env []string) []string {
	return stripNames(env, inheritedNames...)
}
