package main

import (
	"fmt"
	"slices"
	"strings"
)

// This file holds the closed alternative to the deny list of env.go: a set
// of declared keys (--only-key, and the keys of an --only-keys-from
// template) outside which a secret's key is refused, so that a secret can
// carry nothing the app did not declare. The deny list still applies inside
// the set: a declared LD_PRELOAD needs --allow-key LD_PRELOAD as well.
// References are not subject to the set: their names come from the
// environment, not from a secret.

// applyOnlyEnv fills --only-key and --only-keys-from from their environment
// twins, SECRETENV_ONLY_KEYS (comma-separated) and SECRETENV_ONLY_KEYS_FROM,
// where no flag set them.
func applyOnlyEnv(opts *options, set map[string]bool, environ []string, only listFlag) error {
	opts.onlyKeys = only
	if v, _ := lookupEnv(environ, "SECRETENV_ONLY_KEYS"); !set["only-key"] && v != "" {
		opts.onlyKeys = strings.Split(v, ",")
	}
	if v, _ := lookupEnv(environ, "SECRETENV_ONLY_KEYS_FROM"); !set["only-keys-from"] {
		opts.onlyFrom = v
	}
	if set["only-keys-from"] && opts.onlyFrom == "" {
		return usageError("--only-keys-from needs a file name")
	}
	return nil
}

// declaredKeys returns the declared set: the --only-key names and the keys
// of the --only-keys-from template, validated; nil when neither is given.
// The template is read before any request, so a mistake in it costs no
// fetch.
func declaredKeys(opts options) (map[string]bool, error) {
	names := opts.onlyKeys
	if opts.onlyFrom != "" {
		keys, err := templateKeys(opts.onlyFrom)
		if err != nil {
			return nil, err
		}
		names = append(slices.Clip(names), keys...)
	}
	return declaredSet(names)
}

// templateKeys returns the keys of the --only-keys-from template, read by
// require.go's fileKeys: a .env.example or a JSON object of the app's
// variables. Its values are dropped, and no error quotes one.
func templateKeys(path string) ([]string, error) {
	keys, err := fileKeys(path)
	if err != nil {
		return nil, fmt.Errorf("--only-keys-from %w", err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("--only-keys-from %s declares no keys; list the app's variables in it", path)
	}
	return keys, nil
}
