package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
)

// templateCmd writes a template of a secret or a .env file: one NAME= line
// per key, sorted, for --require-from and --only-keys-from and to commit as
// .env.example. It replaces `sed 's/=.*/=/' .env`, which keeps every line of
// a multi-line value (a PEM key's body) after the first: here no value is
// ever written, whatever its shape, because each line is built from a name
// alone.
var templateCmd = &command{
	name:  "template",
	usage: "[flags] template [--optional NAME]... ID | --from FILE|-",
	help: `Print a template of secret ID, or of FILE (.env or .json; - for stdin):
one NAME= line per key, sorted, and never a value, whatever its shape (a
multi-line PEM key included). Commit it as .env.example; --require-from and
--only-keys-from read it.

Flags:
  --from FILE       read the keys of FILE instead of a secret
  --optional NAME   mark NAME optional (NAME='' # optional): declared for
                    --only-keys-from, not required by --require-from;
                    repeatable

Examples:
  secretenv template --from .env > .env.example
  secretenv template --optional SENTRY_DSN myapp/prod > .env.example
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.from, "from", "", "")
		fs.Var((*listFlag)(&o.optionalKeys), "optional", "")
	},
	check: func(o *options, args []string) error {
		switch {
		case o.from == "" && len(args) != 1:
			return usageError("template takes one secret id, or --from FILE (- for stdin)")
		case o.from != "" && len(args) != 0:
			return usageError("template reads either a secret or --from FILE, not both")
		}
		for _, name := range o.optionalKeys {
			if !keys.Valid(name) {
				return usageError("template: --optional %s is not a variable name", keys.QuoteName(name))
			}
		}
		return nil
	},
	run: runTemplate,
}

func runTemplate(ctx context.Context, inv *invocation) error {
	var (
		vars     map[string]string
		optional map[string]bool
		err      error
	)
	if inv.opts.from != "" {
		vars, optional, err = readTemplateSource(inv.opts.from, inv.stdin)
	} else {
		vars, err = fetchTemplateSource(ctx, inv, inv.args[0])
	}
	if err != nil {
		return err
	}
	if optional == nil {
		optional = map[string]bool{}
	}
	for _, name := range inv.opts.optionalKeys {
		if _, ok := vars[name]; !ok {
			return fmt.Errorf("template: --optional %s: no such key in the source; nothing written", name)
		}
		optional[name] = true
	}
	return writeTemplate(inv.stdout, vars, optional)
}

// writeTemplate writes one line per key, built from the name alone:
// NAME= for a required key, and for an optional one NAME, two quotes and the
// mark (an empty value as Compose reads it, then what dotenv.Optional reads).
func writeTemplate(w io.Writer, vars map[string]string, optional map[string]bool) error {
	var b strings.Builder
	for _, name := range sortedKeys(vars) {
		if optional[name] {
			b.WriteString(name + "='' " + dotenv.OptionalMark + "\n")
		} else {
			b.WriteString(name + "=\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// readTemplateSource reads the keys of a .env or .json file ("-": stdin)
// and, for a .env, the keys it marks optional.
func readTemplateSource(path string, stdin io.Reader) (map[string]string, map[string]bool, error) {
	text, err := dotenv.ReadText(path, stdin)
	if err != nil {
		return nil, nil, fmt.Errorf("template: %w", err)
	}
	var vars map[string]string
	var optional map[string]bool
	if dotenv.FormatByName(path) == "json" {
		vars, err = secret.Parse(text)
		if errors.Is(err, secret.ErrNotObject) {
			err = errors.New("not a JSON object of KEY: value")
		}
	} else if vars, err = dotenv.Parse(text); err == nil {
		optional, err = dotenv.Optional(text)
	}
	if err == nil {
		// A key that is no variable name may be a value pasted where a
		// key belongs: refused, never written.
		err = keys.CheckNames(vars)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("template: %s: %w", dotenv.DisplayName(path), err)
	}
	return vars, optional, nil
}

// fetchTemplateSource fetches the secret id (a name or an ARN, with
// ::STAGE:VERSION if wanted) and returns its variables.
func fetchTemplateSource(ctx context.Context, inv *invocation, id string) (map[string]string, error) {
	if strings.HasPrefix(id, store.PathPrefix) {
		return nil, fmt.Errorf("template: %s is a Parameter Store path, and a template lists one secret's keys; pipe its variables in: secretenv --secret-id %s export | secretenv template --from -", id, id)
	}
	v, key, err := store.ParseSecretID(id)
	if err != nil {
		return nil, usageError("template: %v", err)
	}
	if key != "" {
		return nil, usageError("template: %s names json-key %q; a template lists a whole-object secret's keys (leave that field empty)", id, key)
	}
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	sm, err := newStore(ctx, inv)
	if err != nil {
		return nil, err
	}
	texts, err := sm.FetchAll(ctx, []store.SecretVersion{v})
	if err != nil {
		return nil, err
	}
	vars, err := secret.Parse([]byte(texts[v]))
	if err == nil {
		err = keys.CheckNames(vars)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v, err)
	}
	return vars, nil
}
