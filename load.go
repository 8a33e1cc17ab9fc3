package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// reference is an environment variable whose value names a secret.
type reference struct {
	Name    string
	Version secretVersion
	JSONKey string // "" for the whole SecretString
}

// load plans, fetches and merges: it returns the environment the command
// will see. Every id, reference and key is validated before any secret value
// is used, and all requests share one deadline.
func load(ctx context.Context, opts options, environ []string, log *slog.Logger) (mergeResult, error) {
	var ids []secretVersion
	for _, s := range opts.secretIDs {
		v, key, err := parseSecretID(s)
		if err != nil {
			return mergeResult{}, fmt.Errorf("SECRET_ID: %w", err)
		}
		if key != "" {
			return mergeResult{}, fmt.Errorf("SECRET_ID: %s names json-key %q; a whole-object secret takes no json-key (leave that field empty)", s, key)
		}
		ids = append(ids, v)
	}
	var refs []reference
	if opts.references {
		var err error
		if refs, err = findReferences(environ); err != nil {
			return mergeResult{}, err
		}
	}
	if len(ids) == 0 && len(refs) == 0 {
		return mergeResult{}, errors.New("no secret to load: set SECRET_ID or pass --secret-id (or set a variable to a Secrets Manager ARN)")
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
	store, err := newSecretStore(ctx, opts.region, opts.timeout, log)
	if err != nil {
		return mergeResult{}, err
	}
	if err := store.checkSetup(opts.region, environ); err != nil {
		return mergeResult{}, err
	}
	texts, err := store.fetchAll(ctx, distinct(ids, refs))
	if err != nil {
		return mergeResult{}, nameReferences(err, refs)
	}

	layers := make([]layer, 0, len(ids))
	for _, v := range ids {
		vars, err := parseSecret([]byte(texts[v]))
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
			return mergeResult{}, fmt.Errorf("%s: %w", v, err)
		}
		layers = append(layers, layer{ID: v.String(), Vars: vars})
	}
	refVals, refSecret, err := resolveReferences(refs, texts)
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

// findReferences returns the variables whose values are Secrets Manager
// ARNs, in environment order, each validated. Only the first entry of a
// duplicated name counts, as mergeEnv keeps only that one.
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
		if !slices.Contains(out, r.Version) {
			out = append(out, r.Version)
		}
	}
	return out
}

// nameReferences adds to a fetch error the variables that reference the
// secret that failed, so the user knows which setting to fix.
func nameReferences(err error, refs []reference) error {
	var many fetchErrors
	if errors.As(err, &many) {
		return &namedFetchErrors{many, refs}
	}
	var fe *fetchError
	if !errors.As(err, &fe) {
		return err
	}
	list := referencing(fe.Version, refs)
	if list == "" {
		return err
	}
	return fmt.Errorf("%s: %w", list, err)
}

// referencing lists the variables in refs that reference v, or "".
func referencing(v secretVersion, refs []reference) string {
	var names []string
	for _, r := range refs {
		if r.Version == v {
			names = append(names, r.Name)
		}
	}
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

// resolveReferences picks each reference's value out of its fetched secret:
// the whole text, or one key of a JSON object converted as SECRET_ID keys are.
func resolveReferences(refs []reference, texts map[secretVersion]string) (vals, from map[string]string, err error) {
	vals = make(map[string]string, len(refs))
	from = make(map[string]string, len(refs))
	parsed := map[secretVersion]map[string]string{}
	for _, r := range refs {
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
