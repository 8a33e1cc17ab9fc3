package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/secretenv/secretenv/internal/sockets"
	"github.com/secretenv/secretenv/internal/supervise"
)

// --listen: secretenv binds the command's listening sockets itself, before
// the command starts, and hands them over by systemd's socket-activation
// protocol (internal/sockets). Under --watch it keeps them open across
// restarts, so a rotation queues connections in the kernel's backlog rather
// than refusing them; with --ready notify the new command even starts
// before the old one stops.

// listenOptions are --listen and --ready.
type listenOptions struct {
	raw   listFlag       // --listen as given
	addrs []sockets.Addr // parsed, in descriptor order from 3

	// ready is "" (stop the old command, then start the new one) or
	// "notify" (start the new one beside the old, wait for its READY=1).
	ready        string
	readyTimeout time.Duration
}

const defaultReadyTimeout = 60 * time.Second

// addListenFlags registers --listen and --ready; the entrypoint's own flags.
func addListenFlags(fs *flag.FlagSet, o *options) {
	fs.Var(&o.listen.raw, "listen", "")
	fs.StringVar(&o.listen.ready, "ready", "", "")
	fs.DurationVar(&o.listen.readyTimeout, "ready-timeout", defaultReadyTimeout, "")
}

// applyListenEnv fills --listen and --ready from SECRETENV_LISTEN and
// SECRETENV_READY(_TIMEOUT) when not given, and checks them. Without
// either, it costs one look at the environment.
func applyListenEnv(o *options, set map[string]bool, environ []string) error {
	l := &o.listen
	list := []string(l.raw)
	if v, _ := lookupEnv(environ, "SECRETENV_LISTEN"); v != "" && !set["listen"] {
		list = sockets.SplitList(v)
	}
	if v, _ := lookupEnv(environ, "SECRETENV_READY"); v != "" && !set["ready"] {
		l.ready = v
	}
	if v, _ := lookupEnv(environ, "SECRETENV_READY_TIMEOUT"); v != "" && !set["ready-timeout"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("SECRETENV_READY_TIMEOUT=%q is not a duration such as 30s or 2m", v)
		}
		l.readyTimeout = d
	}
	switch {
	case l.ready != "" && l.ready != "notify":
		return fmt.Errorf("ready %q is not notify; drop --ready to stop the old command before the new one starts", l.ready)
	case l.ready != "" && !o.watch.enabled:
		return errors.New("--ready needs --watch (or SECRETENV_WATCH=true): without it nothing is restarted")
	case l.ready != "" && len(list) == 0:
		return errors.New("--ready needs --listen: the new command can only start beside the old one on sockets secretenv holds")
	case set["ready-timeout"] && l.ready == "":
		return errors.New("--ready-timeout needs --ready notify")
	case l.readyTimeout <= 0:
		return fmt.Errorf("ready timeout %v must be positive", l.readyTimeout)
	}
	if len(list) == 0 {
		return nil
	}
	addrs, err := sockets.ParseAddrs(list)
	if err != nil {
		return err
	}
	l.addrs = addrs
	return nil
}

// bindListeners binds every --listen address, or none and an error naming
// the address: before anything is fetched, so a port that is taken fails
// fast and the command never runs. No --listen is a nil Set.
func bindListeners(o listenOptions) (*sockets.Set, error) {
	if len(o.addrs) == 0 {
		return nil, nil
	}
	return sockets.Listen(o.addrs)
}

// shimError is the socket shim's failure (sockets.RunShim) as secretenv
// reports any: execve's refusal of the command as 126 or 127, the rest 125.
func shimError(err error) error {
	var ee *sockets.ExecError
	if errors.As(err, &ee) {
		return execError(ee.Path, ee.Err, os.Environ(), nil)
	}
	return err
}

// execListening is execCommand with the sockets: the command keeps
// secretenv's pid, finds the sockets on 3, 4, ... and its pid in
// LISTEN_PID. Inherited LISTEN_* and NOTIFY_SOCKET are dropped: they
// describe descriptors the command would not have.
func execListening(argv, env []string, setByUs map[string]source, files []fileValue, set *sockets.Set) error {
	env = sockets.StripEnv(env)
	// Room for the variables the shim adds: LISTEN_* and its marker.
	extra := append(set.Env(1<<22), "SECRETENV_INTERNAL_LISTEN_SHIM="+strings.Repeat("99,", set.Len())+";"+argv[0])
	if err := checkExecLimits(argv, append(slices.Clip(env), extra...), setByUs); err != nil {
		return err
	}
	path, err := lookCommand(argv[0], env, setByUs)
	if err != nil {
		return err
	}
	// As execCommand: the files last, once the command is found.
	if err := writeFilesFor(path, files, env, setByUs); err != nil {
		return err
	}
	return fmt.Errorf("passing the sockets to %s: %w", argv[0], set.Exec(path, argv, env))
}

// superviseListen is the supervisor's share of --listen and --ready: the
// bound sockets, and for --ready notify the socket the new command says
// READY=1 on.
func superviseListen(o listenOptions, set *sockets.Set) (supervise.Listen, error) {
	l := supervise.Listen{Sockets: set, ReadyTimeout: o.readyTimeout}
	if o.ready == "notify" {
		n, err := sockets.NewNotify()
		if err != nil {
			return l, err
		}
		l.Notify = n
	}
	return l, nil
}
