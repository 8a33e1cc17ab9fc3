package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// options is the parsed command line, flags already merged with their
// environment twins. The first group is read by every command; the others
// belong to one subcommand each and are registered by its flags func.
type options struct {
	secretIDs  []string
	region     string
	override   bool
	allowKeys  []string
	onlyKeys   []string // --only-key: the keys a secret may carry
	onlyFrom   string   // --only-keys-from: a template whose keys are declared too
	references bool
	timeout    time.Duration
	verbose    bool

	// exec, check and export: the variables that must be set and not empty
	// after the merge. Registered with the common flags, because three
	// commands take them (the entrypoint's own flags are --watch's).
	require     []string // --require
	requireFrom string   // --require-from: a template whose keys are required too

	format string // export, put

	keysOnly bool // diff: --keys, compare names only
	// diff, edit, put: --show-values, the one way they print a value
	showValues bool

	listJSON bool // list: --json

	// edit, put
	yes                   bool
	kmsKeyID, description string

	// put
	from            string
	replace, dryRun bool
	deleteKeys      []string

	optionalKeys []string // template: --optional

	watch   watchOptions   // the command without a subcommand: --watch and its flags
	listen  listenOptions  // and --listen, --ready
	compose composeOptions // --set, --file: exec, check and export (compose.go)
}

// rawFlags holds the common flags as given, before applyEnv merges them with
// their environment twins.
type rawFlags struct {
	ids, allow  listFlag
	require     listFlag
	only        listFlag
	sets, files listFlag
	noRefs      bool
	showVersion bool
}

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// addCommonFlags registers the flags every command accepts.
func addCommonFlags(fs *flag.FlagSet, o *options, raw *rawFlags) {
	fs.Var(&raw.ids, "secret-id", "")
	fs.StringVar(&o.region, "region", "", "")
	fs.BoolVar(&o.override, "override", false, "")
	fs.Var(&raw.allow, "allow-key", "")
	fs.Var(&raw.only, "only-key", "")
	fs.StringVar(&o.onlyFrom, "only-keys-from", "", "")
	fs.BoolVar(&raw.noRefs, "no-references", false, "")
	fs.Var(&raw.require, "require", "")
	fs.Var(&raw.sets, "set", "")
	fs.Var(&raw.files, "file", "")
	fs.StringVar(&o.requireFrom, "require-from", "", "")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	fs.BoolVar(&raw.showVersion, "version", false, "")
}

// applyEnv fills what no flag set from the flags' environment twins. set
// holds the names of the flags given on the command line.
func applyEnv(opts *options, set map[string]bool, environ []string, raw rawFlags) error {
	if err := checkSettingNames(environ); err != nil {
		return err
	}
	get := func(name string) string { v, _ := lookupEnv(environ, name); return v }
	opts.secretIDs = raw.ids
	if !set["secret-id"] {
		if v := get("SECRET_ID"); v != "" {
			opts.secretIDs = strings.Split(v, ",")
		}
	}
	opts.allowKeys = raw.allow
	if !set["allow-key"] {
		if v := get("SECRETENV_ALLOW_KEYS"); v != "" {
			opts.allowKeys = strings.Split(v, ",")
		}
	}
	if err := applyRequireEnv(opts, set, environ, raw.require); err != nil {
		return err
	}
	if err := applyOnlyEnv(opts, set, environ, raw.only); err != nil {
		return err
	}
	if err := applyComposeEnv(opts, set, environ, raw.sets, raw.files); err != nil {
		return err
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
	opts.references = !raw.noRefs
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

// settingNames are secretenv's own variables, the flags' twins. A name
// after SECRETENV_SET_ or SECRETENV_FILE_ is the variable it is for, and
// SECRETENV_INTERNAL_ is what secretenv passes to itself (the --listen shim).
var settingNames = []string{
	"SECRETENV_ALLOW_KEYS", "SECRETENV_LISTEN", "SECRETENV_LOG", "SECRETENV_ONLY_KEYS",
	"SECRETENV_ONLY_KEYS_FROM", "SECRETENV_ON_CHANGE", "SECRETENV_OVERRIDE", "SECRETENV_READY",
	"SECRETENV_READY_TIMEOUT", "SECRETENV_REFERENCES", "SECRETENV_REQUIRE", "SECRETENV_REQUIRE_FROM",
	"SECRETENV_STOP_SIGNAL", "SECRETENV_STOP_TIMEOUT", "SECRETENV_TIMEOUT", "SECRETENV_WATCH",
	"SECRETENV_WATCH_INTERVAL",
}

// checkSettingNames refuses a SECRETENV_ variable that is no setting. A
// flag with a typo is an error, but a twin with one (SECRETENV_OVERIDE=true
// in a task definition, where most settings live) would be ignored, and the
// task would run with the default the operator meant to change.
func checkSettingNames(environ []string) error {
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "SECRETENV_") || slices.Contains(settingNames, name) {
			continue
		}
		var named bool
		for _, prefix := range []string{setTwinPrefix, fileTwinPrefix, "SECRETENV_INTERNAL_"} {
			if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" {
				named = true
			}
		}
		if named {
			continue
		}
		hint := "the settings are the flags' twins in 'secretenv --help'"
		if near := nearestName(name, settingNames); near != "" {
			hint = "did you mean " + near + "?"
		}
		for _, prefix := range []string{setTwinPrefix, fileTwinPrefix} {
			if strings.HasPrefix(name, strings.TrimSuffix(prefix, "_")) { // SECRETENV_SETX, SECRETENV_FILE
				hint = "write " + prefix + "NAME, NAME the variable it is for"
			}
		}
		return fmt.Errorf("%s is not a secretenv setting; %s", name, hint)
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

// usageError marks a mistake in the command line; run adds a hint to it.
func usageError(format string, a ...any) error {
	return fmt.Errorf(format+"; see 'secretenv --help'", a...)
}

// command is a subcommand: a word after secretenv's flags that is not a
// program to run (cmd/go's base.Command, in small). Each lives in its own
// file with its flags beside its code.
type command struct {
	name string
	// usage is the synopsis after "secretenv ", and help the rest of the
	// command's --help: what it does, its own flags, examples. Both live
	// beside the command's code, so a new flag is documented where it is
	// added; testdata/help-NAME.golden holds the result.
	usage, help string
	// flags registers the command's own flags, if it has any.
	flags func(fs *flag.FlagSet, o *options)
	// check validates the arguments and options once parsed; nil means the
	// command takes no arguments.
	check func(o *options, args []string) error
	run   func(ctx context.Context, inv *invocation) error
}

// invocation is what a command runs with.
type invocation struct {
	name           string // the subcommand's, "" for the entrypoint
	opts           options
	args           []string // the subcommand's arguments, or the command line to exec
	environ        []string
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}
