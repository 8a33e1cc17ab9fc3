package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
)

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

// templateKeys returns the keys of the template at path (fileKeys); errors
// name the flag, and a template without keys is refused.
func (k keyFlags) templateKeys(path string) ([]string, error) {
	keys, err := fileKeys(path)
	if err != nil {
		return nil, fmt.Errorf("--%s %w", k.from, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("--%s %s %s", k.from, path, k.empty)
	}
	return keys, nil
}

// fileKeys returns the keys of a template (.env.example, a JSON object), read
// as readVarsFile reads it. Values are ignored: a template's are empty or
// placeholders.
func fileKeys(path string) ([]string, error) {
	if path == "-" {
		return nil, errors.New("needs a file; stdin is the command's")
	}
	vars, err := dotenv.ReadVars(path, "", nil)
	if err != nil {
		return nil, err // names the file and the line, never a value
	}
	for k := range vars {
		if !keys.Valid(k) { // dotenv checks names; a JSON object does not
			return nil, fmt.Errorf("%s: key %s is not a variable name", path, keys.Quote(k))
		}
	}
	return sortedKeys(vars), nil
}
