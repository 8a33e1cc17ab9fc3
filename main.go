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
	"os"
	"runtime/debug"

	"github.com/secretenv/secretenv/internal/sockets"
	"github.com/secretenv/secretenv/internal/supervise"
	"github.com/secretenv/secretenv/internal/termsafe"
)

func main() {
	// Started by secretenv itself to hand sockets to the command (--listen):
	// the shim's whole job is to execute it, and it costs one lookup
	// otherwise.
	if sockets.ShimRequested() {
		os.Exit(report(shimError(sockets.RunShim()), os.Stderr))
	}
	tuneGC()
	err := run(context.Background(), commandLine(os.Args, os.Environ()), os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	code := report(err, os.Stderr)
	// Nothing secretenv started may outlive it: a credential_process that
	// hangs past the deadline, or what the command left under --watch.
	supervise.EndDescendants()
	os.Exit(code)
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

// report prints err as one line on stderr and returns the exit status.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	// Escaped as a whole: a file name, secret id or key from outside can
	// hold an ESC, a CSI (U+009B) or a bidi override that the terminal
	// would obey, and a line break would break the one-line rule.
	fmt.Fprintf(stderr, "secretenv: %s\n", termsafe.String(err.Error()))
	return code
}

// globalHelp is `secretenv --help` and `secretenv help`: the entrypoint's
// flags and the list of commands; each command's own is in its usage and help
// fields.
const globalHelp = `Usage: secretenv [flags] [--] COMMAND [ARG...]
       secretenv [flags] export [--format dotenv|env-file|shell|json]
       secretenv [flags] check
       secretenv [flags] diff [--keys] [--show-values] A B
       secretenv [flags] list [--json] [PREFIX]
       secretenv [flags] edit ID
       secretenv [flags] put ID --from FILE|- [--format json|dotenv] [--replace]
                         [--delete-key NAME] [--dry-run]
       secretenv [flags] template [--optional NAME] ID | --from FILE|-
       secretenv copy-self DIR
       secretenv help [COMMAND]    (or COMMAND --help: its flags and examples)

Fetch JSON secrets from AWS Secrets Manager (and parameters from SSM
Parameter Store), add their keys to the environment without replacing
variables already set, and exec COMMAND. A variable whose value is a
Secrets Manager ARN is replaced by that secret (ECS valueFrom syntax:
ARN[:json-key[:version-stage[:version-id]]]); one whose value is a
Parameter Store ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME), by that
parameter.

  export   print the variables secretenv would set (this prints secret values)
  check    fetch and validate; print the names that would be set, and where
           each comes from; exit 0 or 125
  diff     compare the keys of A and B, each a secret id or a file (./PATH,
           /PATH, file:PATH; - for stdin): only in A, only in B, differs;
           --keys compares names only; values only with --show-values;
           exit 0 same, 1 different, 125 error
  list     print the names of the region's secrets that start with PREFIX,
           sorted, with last-changed date and description; --json for
           scripts; never a value
  edit     open secret ID as JSON in $VISUAL, $EDITOR or vi; list the changes
           (names only) and write them after a question; a secret that does
           not exist is created
  put      write the keys of a .json or dotenv FILE (- for stdin) into secret
           ID: merged, or the whole secret with --replace; --delete-key NAME
           (repeatable) removes a key; --dry-run only lists the changes
  template print a template of secret ID or of FILE (.env, .json; - for
           stdin): one NAME= line per key, never a value; --optional NAME
           (repeatable) writes NAME='' # optional, declared but not required
  copy-self write DIR/secretenv, a copy of this binary (mode 0755), for an
           init container without a shell; needs no secret and no AWS

Flags (each has an environment twin; a flag wins over it):
  --secret-id ID     secret name or ARN, or ssm:/PATH for every parameter
                     directly under PATH; repeatable, applied left to right
                     (SECRET_ID, comma-separated)
  --region R         region for secret names and ssm: paths (AWS_REGION,
                     AWS_DEFAULT_REGION, then the profile's region); an ARN
                     carries its own
  --override         secret values replace variables already set
                     (SECRETENV_OVERRIDE=true)
  --allow-key NAME   allow a key that can make programs run code, such as
                     LD_PRELOAD or PATH; repeatable (SECRETENV_ALLOW_KEYS,
                     comma-separated)
  --require NAME     fail (125) unless NAME is set and not empty after the
                     merge; repeatable (SECRETENV_REQUIRE, comma-separated)
  --require-from F   require the keys of F, a .env or JSON template, too
                     (SECRETENV_REQUIRE_FROM)
  --only-key NAME    refuse every secret key not named; repeatable
                     (SECRETENV_ONLY_KEYS, comma-separated)
  --only-keys-from F declare the keys of F, a .env or JSON template, too
                     (SECRETENV_ONLY_KEYS_FROM)
  --set NAME=T       set NAME from template T after the merge: ${VAR},
                     ${VAR|url} (percent-encoded), $$ for "$"; replaces any
                     other value of NAME; repeatable (SECRETENV_SET_NAME=T)
  --file NAME=PATH   write NAME's final value to PATH (0600, atomically) and
                     leave NAME out of the command's environment; repeatable
                     (SECRETENV_FILE_NAME=PATH)
  --no-references    leave ARN values in the environment as they are
                     (SECRETENV_REFERENCES=false)
  --timeout D        one deadline over credentials, retries and fetches
                     (SECRETENV_TIMEOUT; default 30s)
  --verbose          log what is fetched and set to stderr, never values
                     (SECRETENV_LOG=debug)
  --watch            run COMMAND as a child instead of exec, poll the secrets
                     and restart it when they change (SECRETENV_WATCH=true)
  --watch-interval D how often to poll, from 1s to 24h
                     (SECRETENV_WATCH_INTERVAL; default 5m)
  --on-change A      restart, or exit with status 75 once the command has
                     stopped (SECRETENV_ON_CHANGE; default restart)
  --stop-signal S    signal that stops the command for a change
                     (SECRETENV_STOP_SIGNAL; default SIGTERM)
  --stop-timeout D   SIGKILL the command if it has not stopped by then
                     (SECRETENV_STOP_TIMEOUT; default 10s)
  --listen ADDR      bind HOST:PORT or unix:PATH before the command starts and
                     pass it as fd 3, 4, ... by socket activation (LISTEN_FDS,
                     LISTEN_PID); kept open across --watch restarts;
                     repeatable (SECRETENV_LISTEN, comma-separated)
  --ready notify     with --watch and --listen: start the new command beside
                     the old one and stop the old one once the new one sends
                     READY=1 to NOTIFY_SOCKET (SECRETENV_READY)
  --ready-timeout D  kill the new command and keep the old one if it is not
                     ready by then (SECRETENV_READY_TIMEOUT; default 60s)
  --version          print the version and exit
  --help             print this help and exit

Flags of edit and put:
  --yes              write without asking; needed when stdin is not a terminal
  --show-values      show old and new values in the change list
  --kms-key-id K     the KMS key of a secret that is created
  --description T    the description of a secret that is created

AWS credentials, profile, endpoints (AWS_ENDPOINT_URL_SECRETS_MANAGER,
AWS_ENDPOINT_URL_SSM) and CA bundle come from the usual AWS_* variables and
shared config files. To run a program that has a subcommand's name (export,
check, diff, ...), put it after --. Started as AWS_LAMBDA_EXEC_WRAPPER,
secretenv runs all its arguments as the command.

Exit status: 125 if secretenv fails (the command never starts), 126 if the
command cannot be executed, 127 if it is not found, else the command's own
(with --watch, 128+N if signal N killed it, and 75 for --on-change exit).
edit and put: 0 written or nothing to write, 1 declined or the editor failed,
130 or 131 if the editor was interrupted (Ctrl-C, Ctrl-\), 125 on errors and
refused writes; nothing the entrypoint would refuse is ever written, nor
over a version someone else wrote meanwhile.
`

// execCmd is what secretenv does without a subcommand: load, then exec (or,
// with --watch, supervise).
var execCmd = &command{flags: addWatchFlags, run: runExec}

// commands are the subcommands. To run a program that has one's name, put
// it after --.
var commands = []*command{exportCmd, checkCmd, diffCmd, listCmd, editCmd, putCmd, templateCmd, copySelfCmd, helpCmd}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run is secretenv without the process: it returns only on failure (or after
// --help, --version and the subcommands), with an *exitError for statuses
// other than 125.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, opts, rest, err := parseArgs(args, environ, stdout)
	if err != nil || c == nil {
		return err // usage errors, or --help/--version already printed
	}
	return c.run(ctx, &invocation{
		name: c.name, opts: opts, args: rest, environ: environ,
		stdin: stdin, stdout: stdout, stderr: stderr,
		log: newLogger(stderr, opts.verbose),
	})
}

// runExec loads the secrets and execs the command in their environment.
func runExec(ctx context.Context, inv *invocation) error {
	listeners, err := bindListeners(inv.opts.listen)
	if err != nil {
		return err
	}
	defer listeners.Close()
	if inv.opts.watch.enabled {
		return runWatch(ctx, inv, listeners)
	}
	res, err := loadUntilStopped(ctx, inv)
	if errors.Is(err, errNoSecret) {
		return suggestCommand(err, inv.args, inv.environ) // secretenv lst
	}
	if err != nil {
		return err
	}
	if listeners != nil {
		return suggestCommand(execListening(inv.args, res.Env, res.Set, res.Files, listeners), inv.args, res.Env)
	}
	return suggestCommand(execCommand(inv.args, res.Env, res.Set, res.Files), inv.args, res.Env) // SECRET_ID=x secretenv chek
}

// parseArgs reads the command line: secretenv's flags, then a subcommand with
// its arguments (flags may come before or after them), or the command to
// run, whose own flags are left to it. A nil command with a nil error means
// --help or --version was handled.
func parseArgs(args, environ []string, stdout io.Writer) (c *command, opts options, rest []string, err error) {
	// A first pass finds the first word that is not a flag. It knows every
	// command's flags, so as to skip their values: --format json export.
	rest, dashdash, err := parseFlags(probeFlags(), args)
	c = execCmd
	if err == nil && !dashdash && len(rest) > 0 {
		if sc := findCommand(rest[0]); sc != nil {
			c = sc
		}
	}
	// The second pass, for real, knows only this command's flags.
	fs := newFlagSet()
	var raw rawFlags
	addCommonFlags(fs, &opts, &raw)
	if c.flags != nil {
		c.flags(fs, &opts)
	}
	if err == nil {
		if c == execCmd {
			_, _, err = parseFlags(fs, args[:len(args)-len(rest)])
		} else {
			i := len(args) - len(rest) // the subcommand's word
			rest, err = parseInterleaved(fs, append(args[:i:i], args[i+1:]...))
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		if c != execCmd {
			return nil, opts, nil, writeCommandHelp(stdout, c)
		}
		_, err = io.WriteString(stdout, globalHelp)
		return nil, opts, nil, err
	}
	if err != nil {
		return nil, opts, nil, flagError(err, args, fs, c)
	}
	if raw.showVersion {
		_, err = fmt.Fprintln(stdout, "secretenv", versionString())
		return nil, opts, nil, err
	}
	if c == execCmd && len(rest) == 0 {
		if dashdash {
			return nil, opts, nil, usageError("no command after --")
		}
		return nil, opts, nil, usageError("no command given; usage: secretenv [flags] -- COMMAND [ARG...]")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := applyEnv(&opts, set, environ, raw); err != nil {
		return nil, opts, nil, err
	}
	switch {
	case c == execCmd:
		err = applyWatchEnv(&opts.watch, set, environ)
		if err == nil {
			err = applyListenEnv(&opts, set, environ)
		}
	case c.check != nil:
		err = c.check(&opts, rest)
	case len(rest) > 0:
		err = usageError("%s takes no arguments, got %q", c.name, rest[0])
	}
	if err != nil {
		return nil, opts, nil, err
	}
	return c, opts, rest, nil
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("secretenv", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// probeFlags knows the flags of every command, each name once, only so that
// parseArgs can tell a flag's value from a subcommand's word.
func probeFlags() *flag.FlagSet {
	fs := newFlagSet()
	addCommonFlags(fs, new(options), new(rawFlags))
	for _, c := range append([]*command{execCmd}, commands...) {
		if c.flags == nil {
			continue
		}
		own := newFlagSet()
		c.flags(own, new(options))
		own.VisitAll(func(f *flag.Flag) {
			if fs.Lookup(f.Name) == nil {
				fs.Var(f.Value, f.Name, "")
			}
		})
	}
	return fs
}

// parseFlags parses flags up to "--" or the first word that is not a flag.
// dashdash reports that it stopped at "--", which it consumed.
func parseFlags(fs *flag.FlagSet, args []string) (rest []string, dashdash bool, err error) {
	if err := fs.Parse(args); err != nil {
		return nil, false, err
	}
	rest = fs.Args()
	return rest, len(rest) < len(args) && args[len(args)-len(rest)-1] == "--", nil
}

// parseInterleaved parses a subcommand's flags wherever they stand among its
// arguments, as people type them (diff A B --keys); after "--" every word is
// an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		rest, dashdash, err := parseFlags(fs, args)
		if err != nil {
			return nil, err
		}
		if dashdash || len(rest) == 0 {
			return append(words, rest...), nil
		}
		words = append(words, rest[0])
		args = rest[1:]
	}
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
