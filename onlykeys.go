package main

import (
	"slices"

	"github.com/secretenv/secretenv/internal/keys"
)

// This file holds the closed alternative to the deny list of env.go: a set
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
		keys, err := onlyFlags.templateKeys(opts.onlyFrom)
		if err != nil {
			return nil, err
		}
		names = append(slices.Clip(names), keys...)
	}
	return keys.DeclaredSet(names)
}
