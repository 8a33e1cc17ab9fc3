package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// command is a subcommand: a word after secretenv's flags that is not a
// program to run (cmd/go's base.Command, in small). Each lives in its own
// file with its flags beside its code.
type command struct {
	name string
	// flags registers the command's own flags, if it has any.
	flags func(fs *flag.FlagSet, o *options)
	// check validates the arguments and options once parsed; nil means the
	// command takes no arguments.
	check func(o *options, args []string) error
	run   func(ctx context.Context, inv *invocation) error
}

// invocation is what a command runs with.
type invocation struct {
	opts           options
	args           []string // the subcommand's arguments, or the command line to exec
	environ        []string
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}

// loadUntilStopped is load with the stop signals caught: SIGTERM, SIGINT or
// SIGHUP before the command starts ends secretenv with 128+N, and the command
// never runs.
func loadUntilStopped(ctx context.Context, inv *invocation) (res mergeResult, err error) {
	err = untilStopped(ctx, func(ctx context.Context) error {
		res, err = load(ctx, inv.opts, inv.environ, inv.log)
		return err
	})
	return res, err
}

// untilStopped runs f, what secretenv does before the command starts, with
// the stop signals caught: SIGTERM, SIGINT or SIGHUP cancels f's context and
// ends secretenv with 128+N.
func untilStopped(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := notifyStop()
	go func() {
		select {
		case sig := <-stop:
			cancel(signalError{sig})
		case <-ctx.Done():
		}
	}()
	err := f(ctx)
	var se signalError
	if errors.As(context.Cause(ctx), &se) {
		return &exitError{signalStatus(se.sig), fmt.Errorf("received %v before the command started; it was not run", se.sig)}
	}
	return err
}
