package main

import (
	"fmt"
	"slices"
	"strings"
)

// This file holds required keys (--require, --require-from): variables the
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
		if !validKey(name) {
			return nil, fmt.Errorf("--require %s is not a variable name", quoteName(name))
		}
	}
	names := slices.Clone(opts.require)
	if opts.requireFrom != "" {
		keys, err := requireFlags.templateKeys(opts.requireFrom)
		if err != nil {
			return nil, err
		}
		names = append(names, keys...)
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
