package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/secretenv/secretenv/internal/expand"
	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/valuefile"
)

// This file holds the two steps after the merge that only the operator
// asks for: composed values (--set NAME=TEMPLATE, SECRETENV_SET_NAME), such
// as DATABASE_URL from the parts of an RDS-managed secret, and file-valued
// secrets (--file NAME=PATH, SECRETENV_FILE_NAME), whose value is written to
// PATH and taken out of the command's environment. Templates and paths come
// only from flags and the bootstrap environment, never from a secret: a
// secret's value is data and is never expanded, and a secret's key that
// looks like one of these settings is refused (keys.CheckOperatorKeys).
// Unused, both cost one pass over the environment's names.

// composeOptions are --set and --file, merged with their twins and checked
// while the options are read, before any request.
type composeOptions struct {
	sets  []composed
	files []fileTarget
}

// composed is one --set: the variable, and the template that builds it.
type composed struct {
	name   string
	origin string // how messages name it: "--set DATABASE_URL" or "SECRETENV_SET_DATABASE_URL"
	tmpl   *expand.Template
}

// fileTarget is one --file: the variable whose value goes to path.
type fileTarget struct {
	name, path string
	origin     string // "--file TLS_KEY" or "SECRETENV_FILE_TLS_KEY"
}

const (
	setTwinPrefix  = "SECRETENV_SET_"
	fileTwinPrefix = "SECRETENV_FILE_"
)

// applyComposeEnv fills opts.compose from --set and --file, or, for a flag
// not given, from its twins. As with --allow-key, a flag replaces its twins
// as a whole: one rule for every option.
func applyComposeEnv(opts *options, set map[string]bool, environ []string, sets, files listFlag) error {
	pairs, err := readPairs("set", "TEMPLATE", setTwinPrefix, set["set"], sets, environ)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		tmpl, err := expand.Parse(p.value)
		if err != nil {
			return fmt.Errorf("%s: %w", p.origin, err) // the error quotes nothing of the template
		}
		opts.compose.sets = append(opts.compose.sets, composed{name: p.name, origin: p.origin, tmpl: tmpl})
	}
	if pairs, err = readPairs("file", "PATH", fileTwinPrefix, set["file"], files, environ); err != nil {
		return err
	}
	paths := map[string]string{}
	for _, p := range pairs {
		if p.value == "" {
			return fmt.Errorf("%s: empty path; give the file to write", p.origin)
		}
		clean := filepath.Clean(p.value)
		if other, ok := paths[clean]; ok {
			return fmt.Errorf("%s and %s both write %s; give each variable its own file", other, p.origin, p.value)
		}
		paths[clean] = p.origin
		opts.compose.files = append(opts.compose.files, fileTarget{name: p.name, path: p.value, origin: p.origin})
	}
	return nil
}

// pair is one NAME=VALUE of --set or --file, or of a twin.
type pair struct{ name, value, origin string }

// readPairs returns the flag's NAME=VALUE arguments when given, else the
// twins (prefix+NAME=VALUE in environ, first entry of a name, sorted by
// name; an empty twin counts as unset, as for every other twin). A name
// that is not a variable name is not shown: it may be a value typed in
// the wrong place.
func readPairs(flagName, valueWord, prefix string, given bool, args []string, environ []string) ([]pair, error) {
	var pairs []pair
	seen := map[string]bool{}
	if given {
		for _, arg := range args {
			name, value, ok := strings.Cut(arg, "=")
			switch {
			case !ok:
				return nil, usageError("--%s takes NAME=%s", flagName, valueWord)
			case !keys.Valid(name):
				return nil, usageError("--%s: the text before \"=\" is not a variable name [A-Za-z_][A-Za-z0-9_]*; write --%s NAME=%s", flagName, flagName, valueWord)
			case seen[name]:
				return nil, usageError("--%s %s is given twice; give each variable once", flagName, name)
			}
			seen[name] = true
			pairs = append(pairs, pair{name, value, "--" + flagName + " " + name})
		}
		return pairs, nil
	}
	for _, kv := range environ {
		k, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, prefix) || seen[k] {
			continue
		}
		seen[k] = true
		if value == "" {
			continue
		}
		name := k[len(prefix):]
		if !keys.Valid(name) {
			return nil, fmt.Errorf("%s names no variable; write %sNAME=%s with NAME matching [A-Za-z_][A-Za-z0-9_]*", keys.QuoteName(k), prefix, valueWord)
		}
		pairs = append(pairs, pair{name, value, k})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.name, b.name) })
	return pairs, nil
}

// checkComposedNames refuses a --set of a name the key rules refuse
// (LD_PRELOAD and the rest) unless --allow-key allows it: the value may
// come from a secret, so --set LD_PRELOAD='${X}' would let the secret's
// writer choose a library.
func checkComposedNames(sets []composed, allowed map[string]bool) error {
	for _, c := range sets {
		if err := keys.CheckDenied(map[string]string{c.name: ""}, allowed); err != nil {
			return fmt.Errorf("%s: %w", c.origin, err)
		}
	}
	return nil
}

// compose expands every template against the merged environment and sets
// each NAME in res, replacing whatever value it had: a --set is the
// operator's explicit word for that one name. Every template sees the
// merged environment, never another template's result, so their order does
// not matter and --set PATH='${PATH}:/x' sees the old PATH.
func compose(res *mergeResult, sets []composed, log *slog.Logger) error {
	if len(sets) == 0 {
		return nil
	}
	merged := make(map[string]string, len(res.Env))
	for _, kv := range res.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := merged[k]; !dup {
				merged[k] = v
			}
		}
	}
	lookup := func(name string) (string, bool) { v, ok := merged[name]; return v, ok }
	vals := make([]string, len(sets))
	for i, c := range sets {
		v, err := c.tmpl.Expand(lookup)
		var unset *expand.UnsetError
		if errors.As(err, &unset) {
			return fmt.Errorf("%s: %w; add it to the secret or the environment", c.origin, err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.origin, err)
		}
		vals[i] = v
	}
	for i, c := range sets {
		res.Env = setVar(res.Env, c.name, vals[i])
		delete(res.Kept, c.name)
		res.Set[c.name] = source{Secret: c.origin, Built: strings.Join(c.tmpl.Vars(), ", "), Composed: true}
		log.Debug("composed", "name", c.name, "from", strings.Join(c.tmpl.Vars(), ","))
	}
	return nil
}

// setVar sets name to value in env: in place of its first entry (dropping
// any later one), or at the end.
func setVar(env []string, name, value string) []string {
	out := env[:0]
	done := false
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			if done {
				continue
			}
			kv, done = name+"="+value, true
		}
		out = append(out, kv)
	}
	if !done {
		out = append(out, name+"="+value)
	}
	return out
}

// takeFiles moves each --file variable's final value (after the merge,
// references and templates) out of the command's environment into
// res.Files, so that the value lives only in the file. A name not set by
// then is an error: the file would be empty for no visible reason.
func takeFiles(res *mergeResult, files []fileTarget) error {
	for _, f := range files {
		value, ok := lookupEnv(res.Env, f.name)
		if !ok {
			return fmt.Errorf("%s: %s is not set after the merge; add it to the secret, the environment or a --set", f.origin, f.name)
		}
		from := "environment"
		_, set := res.Set[f.name]
		_, kept := res.Kept[f.name]
		if set || kept {
			from = describeSource(f.name, *res)
		}
		res.Env = slices.DeleteFunc(res.Env, func(kv string) bool {
			k, _, _ := strings.Cut(kv, "=")
			return k == f.name
		})
		delete(res.Set, f.name)
		delete(res.Kept, f.name)
		res.Files = append(res.Files, fileValue{Name: f.name, Path: f.path, Value: value, Origin: f.origin, From: from})
	}
	return nil
}

// writeFiles writes each value to its file, byte for byte, 0600, replacing
// it atomically (valuefile.Write). Errors name the variable and the path,
// never the value.
func writeFiles(files []fileValue) error {
	for _, f := range files {
		if err := valuefile.Write(f.Path, []byte(f.Value)); err != nil {
			return fmt.Errorf("%s: %w", f.Origin, err)
		}
	}
	return nil
}

// checkFiles finds, without writing, what would stop writeFiles: for check,
// which answers for the start that would follow.
func checkFiles(files []fileValue) error {
	for _, f := range files {
		if err := valuefile.Check(f.Path); err != nil {
			return fmt.Errorf("%s: %w", f.Origin, err)
		}
	}
	return nil
}

// changedFiles lists the --file variables whose path or value differ.
func changedFiles(old, new []fileValue) []string {
	var names []string
	for i, f := range new {
		if i >= len(old) || old[i] != f {
			names = append(names, f.Name)
		}
	}
	return names
}
