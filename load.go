package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// reference is an environment variable whose value names a secret or a
// parameter.
type reference struct {
	Name    string
	Version secretVersion
	JSONKey string       // "" for the whole SecretString
	Param   parameterRef // a Parameter Store reference instead, when Param.ARN != ""
}

// sourceID is one SECRET_ID entry: a secret, or a Parameter Store path.
type sourceID struct {
	Version secretVersion
	Path    string // "/myapp/prod" for ssm:/myapp/prod; "" for a secret
}

// load plans, fetches and merges: it returns the environment the command
// will see. Every id, reference and key is validated before any secret value
// is used, and all requests share one deadline.
func load(ctx context.Context, opts options, environ []string, log *slog.Logger) (mergeResult, error) {
	var sources []sourceID
	var ids []secretVersion
	var paths []string
	for _, s := range opts.secretIDs {
		if strings.HasPrefix(s, pathPrefix) {
			path, err := parseParameterPath(s)
			if err != nil {
				return mergeResult{}, fmt.Errorf("SECRET_ID: %w", err)
			}
			sources = append(sources, sourceID{Path: path})
			if !slices.Contains(paths, path) {
				paths = append(paths, path)
			}
			continue
		}
		if isWellFormedParameterARN(s) {
			return mergeResult{}, fmt.Errorf("SECRET_ID: %s is a Parameter Store parameter; set it as the value of the variable it is for (NAME=%s), or load its path with ssm:/PATH", s, s)
		}
		v, key, err := parseSecretID(s)
		if err != nil {
			return mergeResult{}, fmt.Errorf("SECRET_ID: %w", err)
		}
		if key != "" {
			return mergeResult{}, fmt.Errorf("SECRET_ID: %s names json-key %q; a whole-object secret takes no json-key (leave that field empty)", s, key)
		}
		ids = append(ids, v)
		sources = append(sources, sourceID{Version: v})
	}
	var refs []reference
	if opts.references {
		var err error
		if refs, err = findReferences(environ); err != nil {
			return mergeResult{}, err
		}
	}
	if len(sources) == 0 && len(refs) == 0 {
		return mergeResult{}, errors.New("no secret to load: set SECRET_ID or pass --secret-id (or set a variable to a Secrets Manager or Parameter Store ARN)")
	}
	allowed, err := allowSet(opts.allowKeys)
	if err != nil {
		return mergeResult{}, err
	}
	required, err := requiredKeys(opts)
	if err != nil {
		return mergeResult{}, err
	}
	declared, err := declaredKeys(opts)
	if err != nil {
		return mergeResult{}, err
	}

	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	store, err := newCheckedStore(ctx, opts, environ, log)
	if err != nil {
		return mergeResult{}, err
	}
	paramRefs := parameterRefs(refs)
	var params *parameterStore
	if len(paramRefs) > 0 || len(paths) > 0 {
		params = newParameterStore(store)
		if err := params.checkSetup(environ); err != nil {
			return mergeResult{}, err
		}
	}
	texts, vals, err := fetchSources(ctx, store, params, distinct(ids, refs), paramRefs, paths)
	if err != nil {
		return mergeResult{}, nameReferences(err, refs)
	}

	layers := make([]layer, 0, len(sources))
	for _, src := range sources {
		var vars map[string]string
		var err error
		id := src.Version.String()
		if src.Path != "" {
			id = pathPrefix + src.Path
			vars, err = pathVars(src.Path, vals.byPath[src.Path])
		} else {
			vars, err = parseSecret([]byte(texts[src.Version]))
		}
		if err == nil {
			err = checkVars(vars)
		}
		if err == nil {
			err = checkDeclared(vars, declared) // first: an undeclared key is refused whatever it is
		}
		if err == nil {
			err = checkDenied(vars, allowed)
		}
		if err != nil {
			return mergeResult{}, fmt.Errorf("%s: %w", id, err)
		}
		layers = append(layers, layer{ID: id, Vars: vars})
	}
	refVals, refSecret, err := resolveReferences(refs, texts, vals.byARN)
	if err != nil {
		return mergeResult{}, err
	}
	res := mergeEnv(environ, layers, refVals, refSecret, opts.override)
	logMerge(log, res)
	if err := checkRequired(required, res, opts.secretIDs, len(refs)); err != nil {
		return mergeResult{}, err
	}
	return res, nil
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
		if notReferences[name] || !isReference(value) {
			continue
		}
		if isParameterARN(value) {
			p, err := parseParameterARN(value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w; or pass --no-references to keep the value as it is", name, err)
			}
			refs = append(refs, reference{Name: name, Param: p})
			continue
		}
		v, key, err := parseSecretID(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; or pass --no-references to keep the value as it is", name, err)
		}
		refs = append(refs, reference{Name: name, Version: v, JSONKey: key})
	}
	return refs, nil
}

// distinct lists each secret version once, so twenty variables that
// reference one secret cost one request.
func distinct(ids []secretVersion, refs []reference) []secretVersion {
	var out []secretVersion
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
	var many fetchErrors
	if errors.As(err, &many) {
		return &namedFetchErrors{many, refs}
	}
	var fe *fetchError
	var mp *missingParametersError
	var pr *parameterRequestError
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
func referencing(v secretVersion, refs []reference) string {
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
	errs fetchErrors
	refs []reference
}

func (e *namedFetchErrors) Error() string { return e.errs.describe(e.refs) }
func (e *namedFetchErrors) Unwrap() error { return e.errs }

// resolveReferences picks each reference's value out of its fetched secret
// (the whole text, or one key of a JSON object converted as SECRET_ID keys
// are) or parameter (its value as it is; a StringList's is its
// comma-separated text).
func resolveReferences(refs []reference, texts map[secretVersion]string, params map[string]string) (vals, from map[string]string, err error) {
	vals = make(map[string]string, len(refs))
	from = make(map[string]string, len(refs))
	parsed := map[secretVersion]map[string]string{}
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
				obj, err = parseSecret([]byte(text))
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
func fetchSources(ctx context.Context, store *secretStore, params *parameterStore, versions []secretVersion, refs []parameterRef, paths []string) (map[secretVersion]string, parameterValues, error) {
	if params == nil {
		texts, err := store.fetchAll(ctx, versions)
		return texts, parameterValues{}, err
	}
	var texts map[secretVersion]string
	var smErr error
	var wg sync.WaitGroup
	if len(versions) > 0 {
		wg.Go(func() { texts, smErr = store.fetchAll(ctx, versions) })
	}
	vals, ssmErr := params.fetchAll(ctx, refs, paths)
	wg.Wait()
	if smErr != nil {
		return nil, parameterValues{}, smErr
	}
	if ssmErr != nil {
		return nil, parameterValues{}, ssmErr
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
