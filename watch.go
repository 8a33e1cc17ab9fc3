package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/secretenv/secretenv/internal/sockets"
	"github.com/secretenv/secretenv/internal/store"
	"github.com/secretenv/secretenv/internal/supervise"
)

// --watch: instead of exec, secretenv starts the command as a child, polls
// the secrets it came from, and restarts (or stops) it when they change. The
// child's life cycle is in internal/supervise; this file decides when the
// environment changed.

// watchOptions are --watch and the flags that shape it.
type watchOptions struct {
	enabled     bool
	interval    time.Duration
	onChange    string // "restart" or "exit"
	stopSignal  signalFlag
	stopTimeout time.Duration
}

const (
	defaultWatchInterval = 5 * time.Minute
	// minWatchInterval keeps a typo (1ms) from hammering the API; 1s lets
	// tests run fast.
	minWatchInterval = time.Second
	// maxWatchInterval: a watch that looks less than once a day is not
	// watching (Secrets Manager rotates as often as every 4 hours), and the
	// bound keeps pollDelay's window (4 intervals) far from time.Duration's
	// 292 years, past which its arithmetic used to overflow into a burst
	// of polls or a panic.
	maxWatchInterval   = 24 * time.Hour
	defaultStopTimeout = 10 * time.Second // ECS waits 30s before SIGKILL, Kubernetes 30s
)

// exitSecretsChanged is secretenv's status under --on-change exit: 75 is
// EX_TEMPFAIL in sysexits.h ("try again later"). It is not 0, so a
// Kubernetes restartPolicy of OnFailure replaces the container too, and it
// is outside 125-127 and 128+N, which mean secretenv failed or a signal.
const exitSecretsChanged = 75

// watchFlagNames are the flags that mean nothing without --watch.
var watchFlagNames = []string{"watch-interval", "on-change", "stop-signal", "stop-timeout"}

// addWatchFlags registers --watch and its flags.
func addWatchFlags(fs *flag.FlagSet, o *options) {
	w := &o.watch
	w.stopSignal = signalFlag(syscall.SIGTERM)
	fs.BoolVar(&w.enabled, "watch", false, "")
	fs.DurationVar(&w.interval, "watch-interval", defaultWatchInterval, "")
	fs.StringVar(&w.onChange, "on-change", "restart", "")
	fs.Var(&w.stopSignal, "stop-signal", "")
	fs.DurationVar(&w.stopTimeout, "stop-timeout", defaultStopTimeout, "")
	addListenFlags(fs, o)
}

// applyWatchEnv fills what no flag set from the environment twins, then
// checks the result. set holds the flags given on the command line.
func applyWatchEnv(w *watchOptions, set map[string]bool, environ []string) error {
	get := func(name string) string { v, _ := lookupEnv(environ, name); return v }
	if v := get("SECRETENV_WATCH"); v != "" && !set["watch"] {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("SECRETENV_WATCH=%q is not true or false", v)
		}
		w.enabled = b
	}
	durations := []struct {
		flag, env string
		dst       *time.Duration
	}{
		{"watch-interval", "SECRETENV_WATCH_INTERVAL", &w.interval},
		{"stop-timeout", "SECRETENV_STOP_TIMEOUT", &w.stopTimeout},
	}
	for _, d := range durations {
		if v := get(d.env); v != "" && !set[d.flag] {
			dur, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a duration such as 30s or 5m", d.env, v)
			}
			*d.dst = dur
		}
	}
	if v := get("SECRETENV_ON_CHANGE"); v != "" && !set["on-change"] {
		w.onChange = v
	}
	if v := get("SECRETENV_STOP_SIGNAL"); v != "" && !set["stop-signal"] {
		if err := w.stopSignal.Set(v); err != nil {
			return fmt.Errorf("SECRETENV_STOP_SIGNAL=%q: %w", v, err)
		}
	}
	if !w.enabled {
		for _, name := range watchFlagNames {
			if set[name] {
				return fmt.Errorf("--%s needs --watch (or SECRETENV_WATCH=true)", name)
			}
		}
		return nil
	}
	if v, _ := lookupEnv(environ, lambdaRuntimeVar); v != "" {
		return errors.New("--watch cannot supervise an AWS Lambda runtime: Lambda freezes the function between invocations, and a restart would end one in flight; drop --watch and SECRETENV_WATCH: each new execution environment loads the secrets again")
	}
	switch {
	case w.interval < minWatchInterval:
		return fmt.Errorf("watch interval %v is below the minimum of %v", w.interval, minWatchInterval)
	case w.interval > maxWatchInterval:
		return fmt.Errorf("watch interval %v is above the maximum of 24h; to see a change less often, restart the command on a schedule instead of --watch", w.interval)
	case w.onChange != "restart" && w.onChange != "exit":
		return fmt.Errorf("on-change %q is not restart or exit", w.onChange)
	case w.stopTimeout < 0:
		return fmt.Errorf("stop timeout %v must not be negative", w.stopTimeout)
	}
	return nil
}

// signalFlag is a signal given by name (SIGTERM, TERM, term) or number.
type signalFlag syscall.Signal

func (s *signalFlag) String() string { return supervise.SignalName(syscall.Signal(*s)) }

func (s *signalFlag) Set(v string) error {
	sig, ok := supervise.ParseSignal(v)
	if !ok {
		return fmt.Errorf("%q is not a signal name such as SIGTERM or SIGQUIT, or a number", v)
	}
	*s = signalFlag(sig)
	return nil
}

// runWatch is secretenv with --watch: it records the versions in use,
// loads exactly as without --watch, then supervises the command and polls.
// A stop signal before the command starts ends secretenv with 128+N.
func runWatch(ctx context.Context, inv *invocation, listeners *sockets.Set) error {
	opts := inv.opts.watch.supervisor()
	listen, err := superviseListen(inv.opts.listen, listeners)
	if err != nil {
		return err
	}
	if listen.Notify != nil {
		defer listen.Notify.Close()
	}
	opts.Listen = listen
	s := supervise.New(inv.args, opts, inv.stderr)
	var (
		p            *poller
		res          mergeResult
		stopCatching func()
		pollNow      = make(chan os.Signal, 1)
	)
	err = untilStopped(ctx, func(ctx context.Context) (err error) {
		// Every line from here on, --verbose's included (the store and
		// the poller keep this logger), goes through the supervisor's
		// writer, which outlives a closed stderr and a terminal set to
		// tostop.
		p, res, err = startWatch(ctx, inv.opts, inv.environ, inv.args, newLogger(s.Stderr(), inv.opts.verbose), s.Stderr())
		if err == nil {
			// Caught before untilStopped's last look for a stop signal: a
			// signal from then on is the command's, forwarded once it runs;
			// one before means it never runs.
			stopCatching = s.CatchSignals()
			if supervise.PollNowSignal != nil {
				signal.Notify(pollNow, supervise.PollNowSignal)
			}
		}
		return err
	})
	if stopCatching != nil {
		defer stopCatching()
	}
	if err != nil {
		return err
	}
	restoreGC()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := make(chan supervise.Change)
	p.withoutReaping = s.WithoutReaping
	p.stderr = s.Stderr()
	p.now = pollNow
	go p.run(ctx, changes)
	status, err := s.Run(launch(inv.args, res.Env, res.Set, res.Files), changes)
	if err != nil {
		return err
	}
	if status != 0 {
		return &exitError{code: status}
	}
	return nil
}

// supervisor is the supervisor's share of the options.
func (w watchOptions) supervisor() supervise.Options {
	o := supervise.Options{StopSignal: syscall.Signal(w.stopSignal), StopTimeout: w.stopTimeout}
	if supervise.PollNowSignal != nil {
		o.Own = []os.Signal{supervise.PollNowSignal}
	}
	if w.onChange == "exit" {
		o.ExitOnChange = exitSecretsChanged
	}
	return o
}

// launch is env as the supervisor starts the command in it: with exec's
// checks and exec's descriptions of a failure (126, 127, or 125 for E2BIG,
// naming the variables set from secrets). files are written once the
// command is found, as exec writes them; a change passes nil, as the poll
// has written its files already.
func launch(argv, env []string, set map[string]source, files []fileValue) supervise.Env {
	return supervise.Env{
		Vars: env,
		Path: func() (string, error) {
			if err := checkExecLimits(argv, env, set); err != nil {
				return "", err
			}
			path, err := lookCommand(argv[0], env, set)
			if err == nil {
				err = writeFiles(files)
			}
			return path, err
		},
		StartError: func(path string, err error) error { return execError(path, err, env, set) },
	}
}

// startWatch asks DescribeSecret for the versions in use before load
// fetches them: a version written in between then shows as a change at the
// first poll rather than being missed. A mistake that load reports before
// any request (a malformed id, the endpoint or region settings) is left to
// load, so that --watch says it in the same words. One --timeout covers
// both, as it covers start-up without --watch.
func startWatch(ctx context.Context, opts options, environ, argv []string, log *slog.Logger, stderr io.Writer) (*poller, mergeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	targets, malformed := pollTargets(opts, environ)
	p := &poller{opts: opts, environ: environ, argv: argv, log: log, stderr: stderr, secrets: targets}
	if len(p.secrets) > 0 && !malformed {
		sm, err := store.NewChecked(ctx, storeConfig(opts, environ, log))
		if err != nil {
			return nil, mergeResult{}, err
		}
		p.store = sm
		if p.seen, err = p.describe(ctx); err != nil {
			return nil, mergeResult{}, err
		}
	}
	res, err := load(ctx, opts, environ, log)
	if err != nil {
		return nil, mergeResult{}, err
	}
	p.env, p.files = res.Env, res.Files
	return p, res, nil
}

// restoreGC turns the garbage collector back on for a process that stays:
// tuneGC turned it off for the few milliseconds before exec.
func restoreGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// polledSecret is one secret DescribeSecret is asked about, with the version
// stages the environment came from.
type polledSecret struct {
	ID, Region string
	Stages     []string
}

// stageKey names one stage of one secret.
type stageKey struct{ ID, Region, Stage string }

// pollTargets lists the Secrets Manager secrets to poll: every SECRET_ID
// entry and reference, once per secret however many stages and variables
// use it. A reference pinned to a version id never changes and is not
// polled, nor is a Parameter Store source (ssm:/path, a parameter ARN):
// those are read again only when a secret's change reloads everything.
// malformed reports an entry that load will refuse.
func pollTargets(opts options, environ []string) (targets []polledSecret, malformed bool) {
	var versions []store.SecretVersion
	for _, s := range opts.secretIDs {
		if strings.HasPrefix(s, store.PathPrefix) {
			continue
		}
		v, _, err := store.ParseSecretID(s)
		if err != nil || store.IsWellFormedParameterARN(s) {
			malformed = true
			continue
		}
		versions = append(versions, v)
	}
	if opts.references {
		refs, err := findReferences(environ)
		malformed = malformed || err != nil
		for _, r := range refs {
			if r.Param.ARN == "" {
				versions = append(versions, r.Version)
			}
		}
	}
	for _, v := range versions {
		if v.VersionID != "" {
			continue
		}
		stage := v.Stage
		if stage == "" {
			stage = "AWSCURRENT"
		}
		i := slices.IndexFunc(targets, func(p polledSecret) bool { return p.ID == v.ID && p.Region == v.Region })
		if i < 0 {
			targets = append(targets, polledSecret{ID: v.ID, Region: v.Region})
			i = len(targets) - 1
		}
		if !slices.Contains(targets[i].Stages, stage) {
			targets[i].Stages = append(targets[i].Stages, stage)
		}
	}
	return targets, malformed
}

// poller polls the secrets and, when their versions change, loads the
// environment again exactly as at start-up.
type poller struct {
	opts    options
	environ []string // the environment secretenv was started with
	argv    []string
	log     *slog.Logger
	stderr  io.Writer
	store   *store.SecretStore
	secrets []polledSecret

	seen  map[stageKey]string // the version id of each stage in use
	env   []string            // the command's environment
	files []fileValue         // the --file values written

	// withoutReaping runs each poll: the AWS SDK may start and wait for a
	// credential_process program, which the supervisor's reaper must not
	// collect first (supervise.Supervisor.WithoutReaping).
	withoutReaping func(func())
	// now receives supervise.PollNowSignal: an operator asks for a poll
	// without waiting for the interval, after rotating by hand.
	now <-chan os.Signal
	// reported is the versions and the last "new version not used" line,
	// so that a bad version is told once, not at every poll while it stays
	// current.
	reported string
}

// envChange is a new environment for the command.
type envChange struct {
	env     []string
	set     map[string]source
	names   []string // the variables that changed, were added or removed
	secrets []string // the secrets whose versions changed
}

// reason is the restart line's account of the change: the secrets, and the
// variables (names only, at most ten of them).
func (c envChange) reason() string {
	return fmt.Sprintf("%s changed (%s)", strings.Join(c.secrets, ", "), changedList(c.names))
}

// run polls until ctx ends, sending each new environment on changes.
func (p *poller) run(ctx context.Context, changes chan<- supervise.Change) {
	if len(p.secrets) == 0 {
		p.log.Debug("nothing to poll: no Secrets Manager secret, and Parameter Store sources are not watched")
		return
	}
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollDelay(p.opts.watch.interval, failures)):
		case <-p.now:
			p.log.Debug("poll asked for by signal")
		}
		var change *envChange
		var ok bool
		p.withoutReaping(func() { change, ok = p.poll(ctx) })
		// A poll's garbage (the SDK's request and answer, a fetched
		// secret) would stay in the heap until the next collection, and
		// its pages with the process after that: returning them now keeps
		// the supervisor's anonymous memory at about 4.4 MiB instead of
		// 7 (bench/WATCH.md), for a forced collection of a small heap, a
		// few milliseconds of CPU per poll (one poll per 5 minutes by
		// default).
		debug.FreeOSMemory()
		if ok {
			failures = 0
		} else {
			failures++
		}
		if change != nil {
			// Sent outside the poll's deadline: p.env already holds it.
			select {
			case changes <- supervise.Change{Env: launch(p.argv, change.env, change.set, nil), Reason: change.reason()}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// pollDelay is the wait before the next poll: the interval ±20%, so a fleet
// that started together drifts apart, and after failures (throttling, the
// network) a window that doubles up to 4 intervals, so a throttled fleet
// backs off instead of adding to the load. Divisions come before
// multiplications, and the window is at most 4 * maxWatchInterval, so no
// step overflows; the clamp keeps rand.N from being given 0.
func pollDelay(interval time.Duration, failures int) time.Duration {
	interval = min(max(interval, minWatchInterval), maxWatchInterval)
	if failures == 0 {
		fifth := interval / 5
		return interval - fifth + rand.N(2*fifth)
	}
	half := interval / 2 << min(failures, 2)
	return half + rand.N(half)
}

// poll asks for the versions in use and, if one changed, loads again; it
// returns the new environment if it differs from the command's. ok is
// false when Secrets Manager could not be asked or could not answer, so
// that the next poll backs off.
func (p *poller) poll(ctx context.Context) (change *envChange, ok bool) {
	// One deadline over the poll, as over start-up: credentials, retries,
	// DescribeSecret and the fetches.
	ctx, cancel := context.WithTimeout(ctx, p.opts.timeout)
	defer cancel()
	seen, err := p.describe(ctx)
	if err != nil {
		p.logf("%v; the command keeps running", err)
		return nil, false
	}
	moved := changedSecrets(p.seen, seen)
	if len(moved) == 0 {
		return nil, true
	}
	res, err := load(ctx, p.opts, p.environ, p.log)
	if err == nil {
		err = checkExecLimits(p.argv, res.Env, res.Set)
		if err == nil {
			// A new PATH (--allow-key PATH) that loses the command would
			// stop the running one for nothing: the restart could not
			// start it.
			_, err = lookCommand(p.argv[0], res.Env, res.Set)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", strings.Join(moved, ", "), err)
		}
	}
	if err != nil {
		// A bad version (its content, a refused key) is told once per
		// version and failure, not at every poll while it stays current;
		// a failed fetch (throttling, the network) at each poll, as a
		// failed DescribeSecret is.
		var fe *store.FetchError
		fetch := errors.As(err, &fe)
		line := fmt.Sprintf("new version not used: %v; the command keeps running with the previous values, retrying at the next poll", err)
		if key := fmt.Sprint(seen) + line; fetch || key != p.reported {
			p.logf("%s", line)
			p.reported = key
		}
		return nil, !fetch
	}
	p.reported = ""
	names := append(changedNames(p.env, res.Env), changedFiles(p.files, res.Files)...)
	if len(names) == 0 {
		p.seen = seen
		p.log.Debug("new version, same environment", "secrets", strings.Join(moved, ","))
		return nil, true
	}
	// Before the restart (or --on-change exit): each file is replaced by a
	// rename, so a command that reads it meanwhile sees the old value or
	// the new one, never half. A failure keeps the command and retries.
	if err := writeFiles(res.Files); err != nil {
		p.logf("new version not used: %s: %v; the command keeps running with the previous values, retrying at the next poll", strings.Join(moved, ", "), err)
		return nil, true
	}
	p.seen = seen
	p.env, p.files = res.Env, res.Files
	return &envChange{env: res.Env, set: res.Set, names: names, secrets: moved}, true
}

func (p *poller) logf(format string, a ...any) {
	fmt.Fprintf(p.stderr, "secretenv: watch: "+format+"\n", a...)
}

// describe asks DescribeSecret, once per secret, for the version id of each
// stage in use. DescribeSecret returns no secret value.
func (p *poller) describe(ctx context.Context) (map[stageKey]string, error) {
	seen := make(map[stageKey]string)
	for _, sec := range p.secrets {
		versions, err := p.store.StageVersions(ctx, store.SecretVersion{ID: sec.ID, Region: sec.Region}, sec.Stages)
		if err != nil {
			return nil, err
		}
		for _, stage := range sec.Stages {
			seen[stageKey{sec.ID, sec.Region, stage}] = versions[stage]
		}
	}
	return seen, nil
}

// changedSecrets lists, sorted, the secrets with a stage whose version id
// differs between old and new.
func changedSecrets(old, new map[stageKey]string) []string {
	var out []string
	for k, id := range new {
		if old[k] != id && !slices.Contains(out, k.ID) {
			out = append(out, k.ID)
		}
	}
	slices.Sort(out)
	return out
}

// changedNames lists, sorted, the variables whose value differs between two
// environments, or that only one of them has. Only names: never a value.
func changedNames(old, new []string) []string {
	before := make(map[string]string, len(old))
	for _, kv := range old {
		k, v, _ := strings.Cut(kv, "=")
		before[k] = v
	}
	var out []string
	for _, kv := range new {
		k, v, _ := strings.Cut(kv, "=")
		if was, ok := before[k]; !ok || was != v {
			out = append(out, k)
		}
		delete(before, k)
	}
	for k := range before {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// changedList joins changed names for the restart line, at most shown of
// them.
func changedList(names []string) string {
	const shown = 10
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}
