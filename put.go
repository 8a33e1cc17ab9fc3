package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
)

// putCmd writes keys from a file (or stdin) into a secret: merged into it by
// default, or as the whole secret with --replace. It shares edit's write
// path: validation, change list, confirmation, version check.
var putCmd = &command{
	name:  "put",
	usage: "[flags] put ID --from FILE|- [--format json|dotenv] [--replace]\n                         [--delete-key NAME] [--dry-run] [--yes]",
	help: `Write the keys of FILE (a .json object or a dotenv file; - for stdin)
into secret ID: merged into it, or as the whole secret with --replace.
The changes are listed (names only) and written after a question; a
secret that does not exist is created. Exit 0 written or nothing to
write, 1 declined, 125 on errors and refused writes.

Flags:
  --from FILE        the keys to write; - reads stdin
  --format F         json or dotenv; by default from FILE's name
  --replace          FILE is the whole secret: keys not in it are removed
  --delete-key NAME  remove a key; repeatable
  --dry-run          list the changes and write nothing
  --yes              write without asking; needed when stdin is not a terminal
  --show-values      show old and new values in the change list
  --kms-key-id K     the KMS key of a secret that is created
  --description T    the description of a secret that is created

Examples:
  secretenv put myapp/prod --from .env --dry-run
  secretenv put myapp/prod --from secret.json --replace --yes
  secretenv put myapp/prod --delete-key OLD_TOKEN
`,
	flags: func(fs *flag.FlagSet, o *options) {
		addWriteFlags(fs, o)
		fs.StringVar(&o.from, "from", "", "")
		fs.StringVar(&o.format, "format", "", "")
		fs.BoolVar(&o.replace, "replace", false, "")
		fs.BoolVar(&o.dryRun, "dry-run", false, "")
		fs.Var((*listFlag)(&o.deleteKeys), "delete-key", "")
	},
	check: func(o *options, args []string) error {
		if _, err := writeTarget("put", args); err != nil {
			return err
		}
		switch {
		case o.from == "" && len(o.deleteKeys) == 0:
			return usageError("put needs --from FILE (or - for stdin), or --delete-key NAME")
		case o.format != "" && o.format != "json" && o.format != "dotenv":
			return usageError("put: unknown --format %q; use json or dotenv", o.format)
		case o.replace && o.from == "":
			return usageError("put: --replace needs --from FILE")
		}
		// --delete-key takes any key, a variable name or not: removing a
		// stored key that no environment can hold (db.url) is how it
		// gets repaired. runPut checks that such a key is stored.
		return nil
	},
	run: runPut,
}

func runPut(ctx context.Context, inv *invocation) error {
	v, _ := writeTarget("put", inv.args) // checked already
	ctx, stop := stopOnSignal(ctx)
	defer stop()
	rules, err := newWriteRules(inv.opts)
	if err != nil {
		return err
	}
	var file secret.Document
	if inv.opts.from != "" {
		if file, err = readDocumentFile(inv.opts.from, inv.opts.format, inv.stdin); err != nil {
			return err
		}
	}
	format := inv.opts.format
	if format == "" {
		format = dotenv.FormatByName(inv.opts.from)
	}
	if inv.opts.replace && len(file) == 0 && format == "dotenv" {
		// Most likely a pipeline whose first command failed (sops -d ... |
		// put --from - --replace --yes): the secret would be emptied. An
		// empty secret on purpose is written as JSON, {}.
		return fmt.Errorf("%s: %s holds no variables; with --replace that would remove every key; nothing written (to empty the secret on purpose, give {} with --format json)", v, dotenv.DisplayName(inv.opts.from))
	}
	for _, k := range inv.opts.deleteKeys {
		if _, ok := file[k]; ok {
			return fmt.Errorf("%s: %s is both in %s and given to --delete-key; keep one", v, k, dotenv.DisplayName(inv.opts.from))
		}
	}

	sm, base, err := readForWrite(ctx, inv, v)
	if err != nil {
		return err
	}
	if !inv.opts.replace {
		if err := base.readable(); err != nil {
			return err
		}
		// Deleting a variable name that is not there is no error, so a
		// script can run twice; any other key can only be a stored one
		// to repair, so one that is not stored is a mistake (its text is
		// not shown: it may be a value).
		for _, k := range inv.opts.deleteKeys {
			if _, ok := base.doc[k]; !ok && !keys.Valid(k) {
				return fmt.Errorf("%s: --delete-key %s: no such key is stored, and it is not a variable name; see the stored keys with secretenv edit %s, or rewrite the secret with put --replace; nothing written", v, keys.Quote(k), v.ID)
			}
		}
	}
	next := secret.MergeDocuments(base.doc, file, inv.opts.deleteKeys, inv.opts.replace)
	next, changes, err := prepare(base, next, nil, rules)
	if err != nil {
		return fmt.Errorf("%s: %w", v, err)
	}
	return signalled(ctx, apply(ctx, inv, sm, v, base, next, changes, inv.opts.dryRun))
}

// readDocumentFile reads put's input: a JSON object, each value kept as
// written, or a dotenv file, whose values become JSON strings. "-" is stdin;
// format "" chooses by the name as dotenv.ReadVars does (.json is JSON).
func readDocumentFile(path, format string, stdin io.Reader) (secret.Document, error) {
	if format == "" {
		format = dotenv.FormatByName(path)
	}
	if format == "dotenv" {
		vars, err := dotenv.ReadVars(path, format, stdin)
		if err != nil {
			return nil, err
		}
		doc, err := secret.StringDocument(vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dotenv.DisplayName(path), err)
		}
		return doc, nil
	}
	text, err := dotenv.ReadText(path, stdin)
	if err != nil {
		return nil, err
	}
	doc, lines, err := secret.ParseDocument(text)
	if errors.Is(err, secret.ErrNotObject) {
		err = errors.New("not a JSON object of KEY: value")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dotenv.DisplayName(path), err)
	}
	for _, k := range sortedKeys(doc) {
		if !keys.Valid(k) {
			return nil, fmt.Errorf("%s: line %d: invalid variable name %s; names must match [A-Za-z_][A-Za-z0-9_]*", dotenv.DisplayName(path), lines[k], keys.Quote(k))
		}
	}
	return doc, nil
}
