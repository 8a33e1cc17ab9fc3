//go:build !linux

package sockets

import (
	"context"
	"errors"
)

// Notify is only available on Linux, which passes the sender's pid with a
// datagram (SCM_CREDENTIALS).
type Notify struct{}

var errNoNotify = errors.New("notify socket: needs Linux")

// NewNotify fails outside Linux.
func NewNotify() (*Notify, error)                              { return nil, errNoNotify }
func (n *Notify) Path() string                                 { return "" }
func (n *Notify) Env() string                                  { return "" }
func (n *Notify) WaitReady(ctx context.Context, pid int) error { return errNoNotify }
func (n *Notify) Close() error                                 { return nil }
