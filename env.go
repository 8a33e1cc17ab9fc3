package main

import (
	"slices"
	"strings"
)

// This file holds the merge into the environment: the process environment,
// the secrets' variables in order and the resolved references become the
// command's environment. It takes plain maps and slices and does no I/O.

// source says where a variable of the final environment came from.
type source struct {
	Secret   string // the secret the value came from, as the user named it
	Ref      bool   // resolved from a reference held in the variable itself
	Override bool   // replaced a value the environment had (--override)
	// Composed: built by a --set template (Secret is then "--set NAME" or
	// the twin's name) from the variables in Built.
	Composed bool
	Built    string // the names, comma-separated
}

// mergeResult is the environment a command will see, with the provenance of
// each name that secretenv set or kept in the face of a secret.
type mergeResult struct {
	Env  []string          // NAME=value, each name once
	Set  map[string]source // names whose value came from a secret
	Kept map[string]string // names a secret also had but the environment won: name -> secret id
	// Files are the --file variables, out of Env: written before the
	// command starts.
	Files []fileValue
}

// layer is one secret's variables, in the order secrets were given.
type layer struct {
	ID   string
	Vars map[string]string
}

// mergeEnv builds the child environment from the process environment, the
// secrets (later layers replace earlier ones) and the resolved references.
// The environment wins over secrets unless override is set; a variable that
// is set but empty counts as set. References always win: they were put in
// the environment to be replaced. The result keeps the environment's order
// and names each variable once (the first entry of a duplicated name wins,
// as getenv(3) reads it); entries without '=' are dropped.
func mergeEnv(environ []string, layers []layer, refs map[string]string, refSecret map[string]string, override bool) mergeResult {
	n := 0
	for _, l := range layers {
		n += len(l.Vars)
	}
	// Sized up front: growing maps of 2,000 keys costs more than filling them.
	fromSecret := make(map[string]string, n) // name -> value
	owner := make(map[string]string, n)      // name -> secret id
	for _, l := range layers {
		for k, v := range l.Vars {
			fromSecret[k] = v
			owner[k] = l.ID
		}
	}
	res := mergeResult{Set: make(map[string]source, n+len(refs)), Kept: make(map[string]string), Env: make([]string, 0, len(environ)+n)}
	seen := make(map[string]bool, len(environ))
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if v, ok := refs[name]; ok {
			value = v
			res.Set[name] = source{Secret: refSecret[name], Ref: true}
		} else if v, ok := fromSecret[name]; ok {
			if override {
				value = v
				res.Set[name] = source{Secret: owner[name], Override: true}
			} else {
				res.Kept[name] = owner[name]
			}
		}
		res.Env = append(res.Env, name+"="+value)
	}
	added := make([]string, 0, len(fromSecret))
	for name := range fromSecret {
		if !seen[name] {
			added = append(added, name)
		}
	}
	slices.Sort(added)
	for _, name := range added {
		res.Env = append(res.Env, name+"="+fromSecret[name])
		res.Set[name] = source{Secret: owner[name]}
	}
	return res
}

// lookupEnv returns the value of name in environ, reading the first entry
// as getenv(3) does.
func lookupEnv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// fileValue is a variable taken out of the command's environment, with the
// value to write to Path before the command starts.
type fileValue struct {
	Name, Path, Value string
	Origin            string // fileTarget.origin, for messages
	From              string // where the value came from, for check
}
