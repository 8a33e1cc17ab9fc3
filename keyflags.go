package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
)

// This file holds the flags that name keys: --require and --require-from
// (the keys that must be set after the merge), and --only-key and
// --only-keys-from (the keys a secret may carry), with their templates.
// The rules themselves are internal/keys'.

// keyFlags names a pair of flags that give key names, as --require and
// --require-from do, or --only-key and --only-keys-from: a list of names,
// and a template file whose keys join them, each with an environment twin.
type keyFlags struct {
	list, from       string // the flags, without "--": "require", "require-from"
	listEnv, fromEnv string // their twins: SECRETENV_REQUIRE (comma-separated), SECRETENV_REQUIRE_FROM
	empty            string // why a template without keys is refused, after its name
}

// applyEnv returns the names and the template file: each flag's own value
// when it was set (set is keyed by flag name), else its environment twin's.
// A template flag set to "" is a usage error.
func (k keyFlags) applyEnv(set map[string]bool, environ []string, names []string, from string) ([]string, string, error) {
	if v, _ := lookupEnv(environ, k.listEnv); !set[k.list] && v != "" {
		names = strings.Split(v, ",")
	}
	if v, _ := lookupEnv(environ, k.fromEnv); !set[k.from] {
		from = v
	}
	if set[k.from] && from == "" {
		return names, from, usageError("--%s needs a file name", k.from)
	}
	return names, from, nil
}

// templateKeys returns the keys of the template at path (fileKeys) and
// those of them marked optional; errors name the flag, and a template
// without keys is refused.
func (k keyFlags) templateKeys(path string) ([]string, map[string]bool, error) {
	keys, optional, err := fileKeys(path)
	if errors.Is(err, fs.ErrNotExist) { // the only file opened is path
		// A typo in a name people type often (.env.exmaple): name the
		// file that is there.
		if near := nearestFile(path); near != "" {
			return nil, nil, fmt.Errorf("--%s %s: no such file; did you mean %s?", k.from, path, near)
		}
		return nil, nil, fmt.Errorf("--%s %s: no such file", k.from, path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("--%s %w", k.from, err)
	}
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("--%s %s %s", k.from, path, k.empty)
	}
	return keys, optional, nil
}

// fileKeys returns the keys of a template (.env.example, a JSON object), read
// as dotenv.ReadVars reads it, and those a dotenv template marks
// "# optional" (dotenv.Optional): declared, so --only-keys-from accepts
// them, but not required, so --require-from lets them be empty or unset,
// and one template serves both. Values are ignored: a template's are empty
// or placeholders.
func fileKeys(path string) ([]string, map[string]bool, error) {
	if path == "-" {
		return nil, nil, errors.New("needs a file; stdin is the command's")
	}
	vars, err := dotenv.ReadVars(path, "", nil)
	if err != nil {
		return nil, nil, err // names the file and the line, never a value
	}
	for k := range vars {
		if !keys.Valid(k) { // dotenv checks names; a JSON object does not
			return nil, nil, fmt.Errorf("%s: key %s is not a variable name", path, keys.Quote(k))
		}
	}
	var optional map[string]bool
	if dotenv.FormatByName(path) == "dotenv" {
		// Read again: ReadVars has just parsed it, so this cannot fail
		// but for a file changed in between, whose error is the same.
		text, err := dotenv.ReadText(path, nil)
		if err == nil {
			optional, err = dotenv.Optional(text)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", dotenv.DisplayName(path), err)
		}
	}
	return slices.Sorted(maps.Keys(vars)), optional, nil
}

// Required keys (--require, --require-from): variables the
// app cannot start without. After the merge, a required variable that is
// missing or empty fails closed, so a secret that lost a key stops the
// deploy instead of crashing the app later.

// requireFlags are --require and --require-from, and their twins.
var requireFlags = keyFlags{
	list: "require", from: "require-from",
	listEnv: "SECRETENV_REQUIRE", fromEnv: "SECRETENV_REQUIRE_FROM",
	empty: "lists no keys; write the app's variables in it, one NAME= a line",
}

// applyRequireEnv fills --require and --require-from from their environment
// twins where no flag set them.
func applyRequireEnv(opts *options, set map[string]bool, environ []string, require listFlag) (err error) {
	opts.require, opts.requireFrom, err = requireFlags.applyEnv(set, environ, require, opts.requireFrom)
	return err
}

// requiredKeys returns the required names, sorted and each once: the
// --require names and the keys of the --require-from template, validated.
// It is nil when neither is given, and reads no file then, so the start-up
// path pays nothing for the feature it does not use.
func requiredKeys(opts options) ([]string, error) {
	if len(opts.require) == 0 && opts.requireFrom == "" {
		return nil, nil
	}
	for _, name := range opts.require {
		if !keys.Valid(name) {
			return nil, fmt.Errorf("--require %s is not a variable name", keys.QuoteName(name))
		}
	}
	names := slices.Clone(opts.require)
	if opts.requireFrom != "" {
		keys, optional, err := requireFlags.templateKeys(opts.requireFrom)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if !optional[k] {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// checkRequired fails when a required name is missing or empty in the merged
// environment. The one line names every such key and says where secretenv
// looked: the secrets in order, the references, and the environment.
func checkRequired(required []string, res mergeResult, ids []string, refs int) error {
	if len(required) == 0 {
		return nil
	}
	vals := make(map[string]string, len(required))
	for _, name := range required {
		if v, ok := lookupEnv(res.Env, name); ok {
			vals[name] = v
		}
	}
	var missing, empty []string
	for _, name := range required {
		switch v, ok := vals[name]; {
		case !ok:
			missing = append(missing, name)
		case v == "":
			empty = append(empty, describeEmpty(name, res))
		}
	}
	if len(missing) == 0 && len(empty) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(empty) > 0 {
		parts = append(parts, "empty "+strings.Join(empty, ", "))
	}
	return fmt.Errorf("required variables not set: %s; looked in %s; add them to a secret or set them in the environment",
		strings.Join(parts, "; "), lookedIn(ids, refs))
}

// describeEmpty names an empty required variable with where its value came
// from, so that an empty environment variable hiding the secret's value
// can be told from an empty value in the secret.
func describeEmpty(name string, res mergeResult) string {
	if src, ok := res.Set[name]; ok {
		if src.Composed {
			return name + " (built by " + src.Secret + ")"
		}
		if src.Ref {
			return name + " (from reference to " + src.Secret + ")"
		}
		return name + " (from secret " + src.Secret + ")"
	}
	if id, ok := res.Kept[name]; ok {
		return name + " (set empty in the environment, which wins over secret " + id + ")"
	}
	return name + " (set empty in the environment)"
}

// lookedIn lists the places searched, for the error line.
func lookedIn(ids []string, refs int) string {
	var where []string
	switch len(ids) {
	case 0:
	case 1:
		where = append(where, "secret "+ids[0])
	default:
		where = append(where, "secrets "+strings.Join(ids, ", "))
	}
	switch refs {
	case 0:
	case 1:
		where = append(where, "1 reference")
	default:
		where = append(where, fmt.Sprintf("%d references", refs))
	}
	return strings.Join(append(where, "the environment"), ", ")
}

// Declared keys: the closed alternative to the deny list of internal/keys: a set
// of declared keys (--only-key, and the keys of an --only-keys-from
// template) outside which a secret's key is refused, so that a secret can
// carry nothing the app did not declare. The deny list still applies inside
// the set: a declared LD_PRELOAD needs --allow-key LD_PRELOAD as well.
// References are not subject to the set: their names come from the
// environment, not from a secret.

// onlyFlags are --only-key and --only-keys-from, and their twins.
var onlyFlags = keyFlags{
	list: "only-key", from: "only-keys-from",
	listEnv: "SECRETENV_ONLY_KEYS", fromEnv: "SECRETENV_ONLY_KEYS_FROM",
	empty: "declares no keys; list the app's variables in it",
}

// applyOnlyEnv fills --only-key and --only-keys-from from their environment
// twins where no flag set them.
func applyOnlyEnv(opts *options, set map[string]bool, environ []string, only listFlag) (err error) {
	opts.onlyKeys, opts.onlyFrom, err = onlyFlags.applyEnv(set, environ, only, opts.onlyFrom)
	return err
}

// declaredKeys returns the declared set: the --only-key names and the keys
// of the --only-keys-from template, validated; nil when neither is given.
// The template is read before any request, so a mistake in it costs no
// fetch.
func declaredKeys(opts options) (map[string]bool, error) {
	names := opts.onlyKeys
	if opts.onlyFrom != "" {
		keys, _, err := onlyFlags.templateKeys(opts.onlyFrom)
		if err != nil {
			return nil, err
		}
		names = append(slices.Clip(names), keys...)
	}
	return keys.DeclaredSet(names)
}
