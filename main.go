// Command secretenv is a container entrypoint: it fetches JSON secrets from
// AWS Secrets Manager, merges their keys into the environment without
// overriding variables already set, and execs the command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

func main() {
	tuneGC()
	err := run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	os.Exit(report(err, os.Stderr))
}

// gcLimit is the heap size at which the garbage collector runs after all: far
// above the few MiB that 50 secrets or one 64 KiB secret of 2,000 keys need.
const gcLimit = 32 << 20

// tuneGC turns the garbage collector off for secretenv's few milliseconds
// before exec, with gcLimit as the backstop. A collection there buys nothing
// (exec frees everything) and costs its mark workers' start-up: 10-15% of
// the CPU for a 64 KiB secret or 50 secrets (bench/RESULTS.md), and no more
// peak RSS. GOGC or GOMEMLIMIT, when set, are left to the runtime.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(gcLimit)
}

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version string

// exitError carries the exit status for an error; any other error is
// secretenv's own failure (125).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// report prints err as one line on stderr and returns the exit status.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintf(stderr, "secretenv: %v\n", err)
	return code
}

// usageError marks a mistake in the command line; run adds a hint to it.
func usageError(format string, a ...any) error {
	return fmt.Errorf(format+"; see 'secretenv --help'", a...)
}

const usage = `Usage: secretenv [flags] [--] COMMAND [ARG...]
       secretenv [flags] export [--format dotenv|env-file|shell|json]
       secretenv [flags] check

Fetch JSON secrets from AWS Secrets Manager, add their keys to the
environment without replacing variables already set, and exec COMMAND.
A variable whose value is a Secrets Manager ARN is replaced by that secret
(ECS valueFrom syntax: ARN[:json-key[:version-stage[:version-id]]]).

  export   print the variables secretenv would set (this prints secret values)
  check    fetch and validate; print the names that would be set, and where
           each comes from; exit 0 or 125

Flags (each has an environment twin; a flag wins over it):
  --secret-id ID     secret name or ARN, repeatable, applied left to right
                     (SECRET_ID, comma-separated)
  --region R         region for secret names (AWS_REGION, AWS_DEFAULT_REGION,
                     then the profile's region); an ARN carries its own
  --override         secret values replace variables already set
                     (SECRETENV_OVERRIDE=true)
  --allow-key NAME   allow a key that changes how programs load code, such as
                     LD_PRELOAD; repeatable (SECRETENV_ALLOW_KEYS, comma-separated)
  --no-references    leave ARN values in the environment as they are
                     (SECRETENV_REFERENCES=false)
  --timeout D        one deadline over credentials, retries and fetches
                     (SECRETENV_TIMEOUT; default 30s)
  --verbose          log what is fetched and set to stderr, never values
                     (SECRETENV_LOG=debug)
  --version          print the version and exit
  --help             print this help and exit

AWS credentials, profile, endpoint and CA bundle come from the usual AWS_*
variables and shared config files. To run a program named export or check,
put it after --.

Exit status: 125 if secretenv fails (the command never starts), 126 if the
command cannot be executed, 127 if it is not found, else the command's own.
`

// options is the parsed command line, flags already merged with their
// environment twins.
type options struct {
	secretIDs  []string
	region     string
	override   bool
	allowKeys  []string
	references bool
	timeout    time.Duration
	verbose    bool
	format     string // export only
}

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// subcommands are the first words that are not a command to run.
var subcommands = map[string]bool{"export": true, "check": true}

// run is secretenv without the process: it returns only on failure (or after
// --help, --version, export and check), with an *exitError for statuses
// other than 125.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	opts, sub, cmd, err := parseArgs(args, environ, stdout)
	if err != nil || (sub == "" && cmd == nil) {
		return err // usage errors, or --help/--version already printed
	}
	log := newLogger(stderr, opts.verbose)

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

	res, err := load(ctx, opts, environ, log)
	var se signalError
	if errors.As(context.Cause(ctx), &se) {
		return &exitError{signalStatus(se.sig), fmt.Errorf("received %v before the command started; it was not run", se.sig)}
	}
	if err != nil {
		return err
	}
	switch sub {
	case "export":
		return writeExport(stdout, res, opts.format)
	case "check":
		// check answers for the exec that would follow, E2BIG included.
		if err := checkExecLimits(nil, res.Env, res.Set); err != nil {
			return err
		}
		return writeCheck(stdout, res)
	}
	cancel(nil)
	return execCommand(cmd, res.Env, res.Set)
}

// signalError is the cancellation cause when a stop signal arrives.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// parseArgs reads flags up to "--" or the first word that is not a flag,
// then the subcommand or command. A nil cmd with an empty sub and a nil error
// means --help or --version was handled.
func parseArgs(args, environ []string, stdout io.Writer) (opts options, sub string, cmd []string, err error) {
	fs := flag.NewFlagSet("secretenv", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ids, allow listFlag
	fs.Var(&ids, "secret-id", "")
	fs.StringVar(&opts.region, "region", "", "")
	fs.BoolVar(&opts.override, "override", false, "")
	fs.Var(&allow, "allow-key", "")
	noRefs := fs.Bool("no-references", false, "")
	fs.DurationVar(&opts.timeout, "timeout", 30*time.Second, "")
	fs.BoolVar(&opts.verbose, "verbose", false, "")
	showVersion := fs.Bool("version", false, "")
	fs.StringVar(&opts.format, "format", "dotenv", "") // export's; accepted before or after the word

	parse := func(args []string) ([]string, error) {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError("%v", err)
		}
		rest := fs.Args()
		dashdash := len(rest) < len(args) && args[len(args)-len(rest)-1] == "--"
		if dashdash && len(rest) == 0 {
			return nil, usageError("no command after --")
		}
		if dashdash && len(rest) > 0 {
			rest = append([]string{"--"}, rest...) // mark: rest is a command, never a subcommand
		}
		return rest, nil
	}
	rest, err := parse(args)
	if err == nil && len(rest) > 0 && subcommands[rest[0]] {
		sub = rest[0]
		rest, err = parse(rest[1:])
		if err == nil && len(rest) > 0 {
			extra := rest[0]
			if extra == "--" && len(rest) > 1 { // parse's mark, not a word the user gave
				extra = rest[1]
			}
			err = usageError("%s takes no arguments, got %q", sub, extra)
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		_, err = io.WriteString(stdout, usage)
		return opts, "", nil, err
	}
	if err != nil {
		return opts, "", nil, err
	}
	if *showVersion {
		_, err = fmt.Fprintln(stdout, "secretenv", versionString())
		return opts, "", nil, err
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if sub == "" && len(rest) == 0 {
		return opts, "", nil, usageError("no command given; usage: secretenv [flags] -- COMMAND [ARG...]")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := applyEnv(&opts, set, environ, ids, allow, *noRefs); err != nil {
		return opts, "", nil, err
	}
	if sub == "export" && !exportFormats[opts.format] {
		return opts, "", nil, usageError("unknown export format %q; use dotenv, env-file, shell or json", opts.format)
	}
	return opts, sub, rest, nil
}

// applyEnv fills what no flag set from the flags' environment twins.
func applyEnv(opts *options, set map[string]bool, environ []string, ids, allow listFlag, noRefs bool) error {
	get := func(name string) string { v, _ := lookupEnv(environ, name); return v }
	opts.secretIDs = ids
	if !set["secret-id"] {
		if v := get("SECRET_ID"); v != "" {
			opts.secretIDs = strings.Split(v, ",")
		}
	}
	opts.allowKeys = allow
	if !set["allow-key"] {
		if v := get("SECRETENV_ALLOW_KEYS"); v != "" {
			opts.allowKeys = strings.Split(v, ",")
		}
	}
	if !set["region"] {
		opts.region = get("AWS_REGION")
		if opts.region == "" {
			opts.region = get("AWS_DEFAULT_REGION")
		}
	}
	boolEnv := func(name string, dst *bool) error {
		v := get(name)
		if v == "" {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q is not true or false", name, v)
		}
		*dst = b
		return nil
	}
	if !set["override"] {
		if err := boolEnv("SECRETENV_OVERRIDE", &opts.override); err != nil {
			return err
		}
	}
	opts.references = !noRefs
	if !set["no-references"] {
		if err := boolEnv("SECRETENV_REFERENCES", &opts.references); err != nil {
			return err
		}
	}
	if !set["timeout"] {
		if v := get("SECRETENV_TIMEOUT"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("SECRETENV_TIMEOUT=%q is not a duration such as 30s or 2m", v)
			}
			opts.timeout = d
		}
	}
	if opts.timeout <= 0 {
		return fmt.Errorf("timeout %v must be positive", opts.timeout)
	}
	if !set["verbose"] {
		switch v := get("SECRETENV_LOG"); v {
		case "", "info", "warn", "error":
		case "debug":
			opts.verbose = true
		default:
			return fmt.Errorf("SECRETENV_LOG=%q is not debug, info, warn or error", v)
		}
	}
	return nil
}

// newLogger writes debug lines to stderr with --verbose, else nothing.
// Callers log names, never values.
func newLogger(stderr io.Writer, verbose bool) *slog.Logger {
	if !verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// versionString is the stamped version, else the module's build info.
func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
