package sockets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Notify receives sd_notify(3) messages from the command on a unixgram
// socket in a private directory (mode 0700, so no other user can send to
// it), with the kernel's word for each sender's pid (SO_PASSCRED).
type Notify struct {
	dir  string
	path string
	conn *net.UnixConn
}

// maxNotifyMessage is the largest message read; systemd itself reads at most
// 4096 bytes (NOTIFY_BUFFER_MAX is larger but READY=1 is 7).
const maxNotifyMessage = 4096

// maxAncestors bounds the walk from a sender up to the command: a READY=1
// sent by a helper the command started (a shell's systemd-notify) counts.
const maxAncestors = 16

// NewNotify creates the notification socket.
func NewNotify() (*Notify, error) {
	dir, err := os.MkdirTemp("", "secretenv-notify-")
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		ctlErr := raw.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		})
		if ctlErr != nil {
			err = ctlErr
		}
	}
	if err != nil {
		conn.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("notify socket: SO_PASSCRED: %w", err)
	}
	return &Notify{dir: dir, path: path, conn: conn}, nil
}

// Path is the socket's path.
func (n *Notify) Path() string { return n.path }

// Env is the NOTIFY_SOCKET entry for the command's environment.
func (n *Notify) Env() string { return "NOTIFY_SOCKET=" + n.path }

// WaitReady returns nil once a message with a READY=1 line arrives from pid
// or from a process under it, and ctx's error (its cause) when ctx ends
// first: bound it with a timeout, and cancel it when the command exits.
// Messages from any other process, such as the command it replaces, are
// read and ignored, as are messages that arrived before it was called from
// them. Descriptors sent along (FDSTORE=1) are closed: nothing stores them.
// It must not be called by two goroutines at once.
func (n *Notify) WaitReady(ctx context.Context, pid int) error {
	n.conn.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() {
		// A deadline in the past wakes the blocked read at once.
		n.conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	buf := make([]byte, maxNotifyMessage)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*253))
	for {
		nb, noob, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue // the AfterFunc fired; ctx.Err reports it above
			}
			return fmt.Errorf("notify socket: %w", err)
		}
		sender := senderPID(oob[:noob])
		if sender <= 0 || !isReady(buf[:nb]) {
			continue
		}
		if sender == pid || descendsFrom(sender, pid) {
			return nil
		}
	}
}

// senderPID is the pid in the message's credentials, closing any descriptors
// that came with it; 0 when there are none.
func senderPID(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	pid := 0
	for _, m := range msgs {
		if fds, err := unix.ParseUnixRights(&m); err == nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
		if cred, err := unix.ParseUnixCredentials(&m); err == nil {
			pid = int(cred.Pid)
		}
	}
	return pid
}

// isReady reports whether a notification has the line READY=1; a message
// is newline-separated assignments (sd_notify(3)).
func isReady(msg []byte) bool {
	for line := range bytes.SplitSeq(msg, []byte("\n")) {
		if string(line) == "READY=1" {
			return true
		}
	}
	return false
}

// descendsFrom reports whether pid ancestor is among pid's parents, as
// /proc shows them now: a sender that has already exited does not count.
func descendsFrom(pid, ancestor int) bool {
	for range maxAncestors {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		// The command name in parentheses may hold spaces and ')'; the
		// fields after the last ')' are state and ppid.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			return false
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			return false
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil || ppid <= 1 {
			return false
		}
		if ppid == ancestor {
			return true
		}
		pid = ppid
	}
	return false
}

// Close closes the socket and removes its directory.
func (n *Notify) Close() error {
	err := n.conn.Close()
	os.RemoveAll(n.dir)
	return err
}
