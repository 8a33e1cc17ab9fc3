package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
)

// reference is an environment variable whose value names a secret or a
// parameter.
type reference struct {
	Name    string
	Version store.SecretVersion
	JSONKey string             // "" for the whole SecretString
	Param   store.ParameterRef // a Parameter Store reference instead, when Param.ARN != ""
}

// storeConfig is the stores' share of the options.
func storeConfig(opts options, environ []string, log *slog.Logger) store.Config {
	return store.Config{Region: opts.region, Timeout: opts.timeout, Environ: environ, Log: log}
}

// newStore opens the Secrets Manager store for a subcommand, its settings
// checked before any request.
func newStore(ctx context.Context, inv *invocation) (*store.SecretStore, error) {
	return store.NewChecked(ctx, storeConfig(inv.opts, inv.environ, inv.log))
}

// sourceID is one SECRET_ID entry: a secret, or a Parameter Store path.
type sourceID struct {
	Version store.SecretVersion
	Path    string // "/myapp/prod" for ssm:/myapp/prod; "" for a secret
}

// errNoSecret is load's error when there is nothing to fetch.
var errNoSecret = errors.New("no secret to load: set SECRET_ID or pass --secret-id (or set a variable to a Secrets Manager or Parameter Store ARN)")

// load plans, fetches and merges: it returns the environment the command
// will see. Every id, reference and key is validated before any secret value
// is used, and all requests share one deadline. Each step is one call:
// sources, key rules, fetch, parse (with the key rules), references, merge,
// composed values (--set), required keys, file values (--file: taken out of
// Env into Files, written by the caller once the command is found).
func load(ctx context.Context, opts options, environ []string, log *slog.Logger) (mergeResult, error) {
	sources, err := readSources(opts.secretIDs)
	if err != nil {
		return mergeResult{}, err
	}
	var refs []reference
	if opts.references {
		if refs, err = findReferences(environ); err != nil {
			return mergeResult{}, err
		}
	}
	if len(sources) == 0 && len(refs) == 0 {
		return mergeResult{}, errNoSecret
	}
	rules, err := readKeyRules(opts)
	if err != nil {
		return mergeResult{}, err
	}
	if err := checkComposedNames(opts.compose.sets, rules.allowed); err != nil {
		return mergeResult{}, err
	}
	texts, vals, err := fetch(ctx, opts, environ, log, sources, refs)
	if err != nil {
		return mergeResult{}, err
	}
	layers, err := parseSources(sources, texts, vals, rules)
	if err != nil {
		return mergeResult{}, err
	}
	refVals, refSecret, err := resolveReferences(refs, texts, vals.ByARN)
	if err != nil {
		return mergeResult{}, err
	}
	res := mergeEnv(environ, layers, refVals, refSecret, opts.override)
	logMerge(log, res)
	if err := compose(&res, opts.compose.sets, log); err != nil {
		return mergeResult{}, err
	}
	if err := checkRequired(rules.required, res, opts.secretIDs, len(refs)); err != nil {
		return mergeResult{}, err
	}
	if err := takeFiles(&res, opts.compose.files); err != nil {
		return mergeResult{}, err
	}
	return res, nil
}

// readSources parses the SECRET_ID entries, in order: secrets and ssm:
// paths. A parameter ARN or a json-key there is refused: they name one
// value, and a SECRET_ID entry stands for a whole object.
func readSources(secretIDs []string) ([]sourceID, error) {
	var sources []sourceID
	for _, s := range secretIDs {
		if strings.HasPrefix(s, store.PathPrefix) {
			path, err := store.ParseParameterPath(s)
			if err != nil {
				return nil, fmt.Errorf("SECRET_ID: %w", err)
			}
			sources = append(sources, sourceID{Path: path})
			continue
		}
		if store.IsWellFormedParameterARN(s) {
			return nil, fmt.Errorf("SECRET_ID: %s is a Parameter Store parameter; set it as the value of the variable it is for (NAME=%s), or load its path with ssm:/PATH", s, s)
		}
		v, key, err := store.ParseSecretID(s)
		if err != nil {
			return nil, fmt.Errorf("SECRET_ID: %w", err)
		}
		if key != "" {
			return nil, fmt.Errorf("SECRET_ID: %s names json-key %q; a whole-object secret takes no json-key (leave that field empty)", s, key)
		}
		sources = append(sources, sourceID{Version: v})
	}
	return sources, nil
}

// keyRules are the settings that decide which keys load accepts, read
// (templates included) before any request, so a mistake costs no fetch.
type keyRules struct {
	allowed  map[string]bool // --allow-key
	required []string        // --require, --require-from
	declared map[string]bool // --only-key, --only-keys-from; nil: every key
}

func readKeyRules(opts options) (keyRules, error) {
	allowed, err := keys.AllowSet(opts.allowKeys)
	if err != nil {
		return keyRules{}, err
	}
	required, err := requiredKeys(opts)
	if err != nil {
		return keyRules{}, err
	}
	declared, err := declaredKeys(opts)
	if err != nil {
		return keyRules{}, err
	}
	return keyRules{allowed: allowed, required: required, declared: declared}, nil
}

// fetch opens the stores, checks their settings and fetches every secret
// and parameter the sources and references name, under one --timeout
// deadline. A failure names the variables that referenced what failed.
func fetch(ctx context.Context, opts options, environ []string, log *slog.Logger, sources []sourceID, refs []reference) (map[store.SecretVersion]string, store.ParameterValues, error) {
	var ids []store.SecretVersion
	var paths []string
	for _, src := range sources {
		switch {
		case src.Path == "":
			ids = append(ids, src.Version)
		case !slices.Contains(paths, src.Path):
			paths = append(paths, src.Path)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	sm, err := store.NewChecked(ctx, storeConfig(opts, environ, log))
	if err != nil {
		return nil, store.ParameterValues{}, err
	}
	paramRefs := parameterRefs(refs)
	var params *store.ParameterStore
	if len(paramRefs) > 0 || len(paths) > 0 {
		params = store.NewParameterStore(sm)
		if err := params.CheckSetup(environ); err != nil {
			return nil, store.ParameterValues{}, err
		}
	}
	texts, vals, err := fetchSources(ctx, sm, params, distinct(ids, refs), paramRefs, paths)
	if err != nil {
		return nil, store.ParameterValues{}, nameReferences(err, refs)
	}
	return texts, vals, nil
}

// parseSources turns each source's fetched text or parameters into a
// layer of variables, and applies the key rules to it: names, NUL bytes,
// the declared set, the deny list. Errors name the source.
func parseSources(sources []sourceID, texts map[store.SecretVersion]string, vals store.ParameterValues, rules keyRules) ([]layer, error) {
	layers := make([]layer, 0, len(sources))
	for _, src := range sources {
		var vars map[string]string
		var err error
		id := src.Version.String()
		if src.Path != "" {
			id = store.PathPrefix + src.Path
			vars, err = store.PathVars(src.Path, vals.ByPath[src.Path])
		} else {
			vars, err = secret.Parse([]byte(texts[src.Version]))
		}
		if err == nil {
			err = keys.CheckNames(vars)
		}
		if err == nil {
			err = keys.CheckOperatorKeys(vars)
		}
		if err == nil {
			err = keys.CheckDeclared(vars, rules.declared) // first: an undeclared key is refused whatever it is
		}
		if err == nil {
			err = keys.CheckDenied(vars, rules.allowed)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		layers = append(layers, layer{ID: id, Vars: vars})
	}
	return layers, nil
}

// notReferences are secretenv's own settings: SECRET_ID holds ARNs to load
// as whole objects (possibly a comma-separated list), never a value to
// replace, and the child sees it as it was.
var notReferences = map[string]bool{"SECRET_ID": true}

// findReferences returns the variables whose values are Secrets Manager or
// Parameter Store ARNs, in environment order, each validated. Only the first
// entry of a duplicated name counts, as mergeEnv keeps only that one.
func findReferences(environ []string) ([]reference, error) {
	var refs []reference
	seen := map[string]bool{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if notReferences[name] || !store.IsReference(value) {
			continue
		}
		if store.IsParameterARN(value) {
			p, err := store.ParseParameterARN(value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w; or pass --no-references to keep the value as it is", name, err)
			}
			refs = append(refs, reference{Name: name, Param: p})
			continue
		}
		v, key, err := store.ParseSecretID(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; or pass --no-references to keep the value as it is", name, err)
		}
		refs = append(refs, reference{Name: name, Version: v, JSONKey: key})
	}
	return refs, nil
}

// distinct lists each secret version once, so twenty variables that
// reference one secret cost one request.
func distinct(ids []store.SecretVersion, refs []reference) []store.SecretVersion {
	var out []store.SecretVersion
	for _, v := range ids {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, r := range refs {
		if r.Param.ARN == "" && !slices.Contains(out, r.Version) {
			out = append(out, r.Version)
		}
	}
	return out
}

// nameReferences adds to a fetch error the variables that reference the
// secret or the parameters that failed, so the user knows which setting to
// fix.
func nameReferences(err error, refs []reference) error {
	var many store.FetchErrors
	if errors.As(err, &many) {
		return &namedFetchErrors{many, refs}
	}
	var fe *store.FetchError
	var mp *store.MissingParametersError
	var pr *store.ParameterRequestError
	var list string
	switch {
	case errors.As(err, &fe):
		list = referencing(fe.Version, refs)
	case errors.As(err, &mp):
		list = referencingParameters(mp.ARNs, refs)
	case errors.As(err, &pr):
		list = referencingParameters(pr.ARNs, refs)
	}
	if list == "" {
		return err
	}
	return fmt.Errorf("%s: %w", list, err)
}

// referencing lists the variables in refs that reference v, or "".
func referencing(v store.SecretVersion, refs []reference) string {
	var names []string
	for _, r := range refs {
		if r.Param.ARN == "" && r.Version == v {
			names = append(names, r.Name)
		}
	}
	return nameList(names)
}

// referencingParameters lists the variables in refs that reference one of
// the parameter ARNs, or "".
func referencingParameters(arns []string, refs []reference) string {
	var names []string
	for _, r := range refs {
		if r.Param.ARN != "" && slices.Contains(arns, r.Param.ARN) {
			names = append(names, r.Name)
		}
	}
	return nameList(names)
}

// nameList joins the first few variable names for a message.
func nameList(names []string) string {
	const shown = 3 // twenty variables on one broken secret would not fit one line
	list := strings.Join(names[:min(len(names), shown)], ", ")
	if len(names) > shown {
		list += fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return list
}

// namedFetchErrors is fetchErrors with each secret's referencing variables.
type namedFetchErrors struct {
	errs store.FetchErrors
	refs []reference
}

func (e *namedFetchErrors) Error() string {
	return e.errs.Describe(func(v store.SecretVersion) string { return referencing(v, e.refs) })
}
func (e *namedFetchErrors) Unwrap() error { return e.errs }

// resolveReferences picks each reference's value out of its fetched secret
// (the whole text, or one key of a JSON object converted as SECRET_ID keys
// are) or parameter (its value as it is; a StringList's is its
// comma-separated text).
func resolveReferences(refs []reference, texts map[store.SecretVersion]string, params map[string]string) (vals, from map[string]string, err error) {
	vals = make(map[string]string, len(refs))
	from = make(map[string]string, len(refs))
	parsed := map[store.SecretVersion]map[string]string{}
	for _, r := range refs {
		if r.Param.ARN != "" {
			if strings.IndexByte(params[r.Param.ARN], 0) >= 0 {
				return nil, nil, fmt.Errorf("%s: value of parameter %s contains a NUL byte, which cannot be passed to a program", r.Name, r.Param.ARN)
			}
			vals[r.Name] = params[r.Param.ARN]
			from[r.Name] = r.Param.ARN
			continue
		}
		text := texts[r.Version]
		val := text
		if r.JSONKey != "" {
			obj, ok := parsed[r.Version]
			if !ok {
				obj, err = secret.Parse([]byte(text))
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %s: json-key %q needs a JSON object, but %w", r.Name, r.Version, r.JSONKey, err)
				}
				parsed[r.Version] = obj
			}
			if val, ok = obj[r.JSONKey]; !ok {
				return nil, nil, fmt.Errorf("%s: %s has no key %q", r.Name, r.Version, r.JSONKey)
			}
		}
		if strings.IndexByte(val, 0) >= 0 {
			return nil, nil, fmt.Errorf("%s: value from %s contains a NUL byte, which cannot be passed to a program", r.Name, r.Version)
		}
		vals[r.Name] = val
		from[r.Name] = r.Version.String()
	}
	return vals, from, nil
}

// fetchSources fetches the secrets and the parameters at the same time,
// under ctx's one deadline. A failure among the secrets is reported before
// one among the parameters. params is nil when no parameter is named, and
// then nothing of SSM is set up.
func fetchSources(ctx context.Context, sm *store.SecretStore, params *store.ParameterStore, versions []store.SecretVersion, refs []store.ParameterRef, paths []string) (map[store.SecretVersion]string, store.ParameterValues, error) {
	if params == nil {
		texts, err := sm.FetchAll(ctx, versions)
		return texts, store.ParameterValues{}, err
	}
	var texts map[store.SecretVersion]string
	var smErr error
	var wg sync.WaitGroup
	if len(versions) > 0 {
		wg.Go(func() { texts, smErr = sm.FetchAll(ctx, versions) })
	}
	vals, ssmErr := params.FetchAll(ctx, refs, paths)
	wg.Wait()
	if smErr != nil {
		return nil, store.ParameterValues{}, smErr
	}
	if ssmErr != nil {
		return nil, store.ParameterValues{}, ssmErr
	}
	return texts, vals, nil
}

// logMerge logs, with --verbose, the names set, kept and overridden.
func logMerge(log *slog.Logger, res mergeResult) {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	for _, name := range sortedKeys(res.Set) {
		src := res.Set[name]
		how := "set"
		switch {
		case src.Ref:
			how = "resolved reference"
		case src.Override:
			how = "overridden"
		}
		log.Debug(how, "name", name, "from", src.Secret)
	}
	for _, name := range sortedKeys(res.Kept) {
		log.Debug("kept from environment", "name", name, "secret", res.Kept[name])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// parameterRefs returns the distinct parameters the references name, in
// order.
func parameterRefs(refs []reference) []store.ParameterRef {
	var out []store.ParameterRef
	for _, r := range refs {
		if r.Param.ARN != "" && !slices.Contains(out, r.Param) {
			out = append(out, r.Param)
		}
	}
	return out
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
