package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
	"github.com/secretenv/secretenv/internal/termsafe"
)

// diffCmd compares the keys of two secrets or files, like diff(1): exit 0
// when they are the same, 1 when they differ, 125 on error, so CI can gate
// on drift between environments or against a template.
var diffCmd = &command{
	name:  "diff",
	usage: "[flags] diff [--keys] [--show-values] A B",
	help: `Compare the keys of A and B, each a secret id (a name or ARN) or a file
(a path starting with / or ., as in .env.example or ./app.json, or
file:PATH; - for stdin), and print the names only in A, only in B, and
whose values differ. Exit 0 the same, 1 different, 125 on error, so CI
can fail on drift.

Flags:
  --keys          compare names only (against a template of placeholders)
  --show-values   print the old and new values of the keys that differ

Examples:
  secretenv diff myapp/staging myapp/prod
  secretenv diff --keys .env.example myapp/prod
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.keysOnly, "keys", false, "")
		fs.BoolVar(&o.showValues, "show-values", false, "")
	},
	check: func(o *options, args []string) error {
		switch {
		case len(args) != 2:
			return usageError("diff takes two arguments, A and B, each a secret id or a file; got %d", len(args))
		case args[0] == "-" && args[1] == "-":
			return usageError("diff reads stdin (-) for one side only")
		case o.keysOnly && o.showValues:
			return usageError("diff --keys compares names only; --show-values has nothing to show")
		}
		return nil
	},
	run: runDiff,
}

// diffSide is one argument of diff: a file (or - for stdin) or a secret.
type diffSide struct {
	label   string // as the user wrote it; "stdin" for -
	arg     string
	file    bool
	version store.SecretVersion // when not a file
	vars    map[string]string
}

func runDiff(ctx context.Context, inv *invocation) error {
	allowed, err := keys.AllowSet(inv.opts.allowKeys)
	if err != nil {
		return err
	}
	sides := make([]*diffSide, 2)
	for i, arg := range inv.args {
		if sides[i], err = newDiffSide(arg); err != nil {
			return err
		}
	}
	if err := readDiffFiles(sides, inv.stdin); err != nil {
		return err
	}
	if err := fetchDiffSecrets(ctx, inv, sides); err != nil {
		return err
	}
	for _, s := range sides {
		// diff only reads, so a key the entrypoint refuses (LD_PRELOAD
		// unless allowed) is compared like any other; the note says the
		// secret would not load as it is.
		if s.file {
			continue
		}
		if err := keys.CheckDenied(s.vars, allowed); err != nil {
			fmt.Fprintf(inv.stderr, "secretenv: note: %s: %v; diff compares it anyway\n", s.label, err)
		}
	}
	a, b := sides[0], sides[1]
	d := diffVars(a.vars, b.vars, inv.opts.keysOnly)
	if err := writeDiff(inv.stdout, a, b, d, inv.opts); err != nil {
		return err
	}
	if !d.equal() {
		return &exitError{code: 1} // no message: the lines above say it, as diff(1)
	}
	return nil
}

// newDiffSide classifies an argument by its text alone, so that a file
// created later cannot change what a drift gate compares (a file d/a once
// silently stood in for the secret d/a):
//
//   - "-" is stdin, and file:PATH always a file;
//   - secret:ID is always a secret, and so is any argument with a colon (an
//     ARN, NAME::STAGE:): no secret name holds one;
//   - a path that starts with / or . (/abs, ./d/a, ../x, .env.example) is a
//     file;
//   - anything else is a secret id, refused as ambiguous when a file (not a
//     directory: a repository with a prod/ directory can still diff the
//     secret prod) of that name exists too.
func newDiffSide(arg string) (*diffSide, error) {
	if arg == "-" {
		return &diffSide{label: "stdin", arg: arg, file: true}, nil
	}
	if path, ok := strings.CutPrefix(arg, "file:"); ok {
		if path == "" {
			return nil, errors.New("diff: file: needs a path, as in file:.env")
		}
		return &diffSide{label: termsafe.String(arg), arg: path, file: true}, nil
	}
	id, explicit := strings.CutPrefix(arg, "secret:")
	if !explicit && !strings.Contains(arg, ":") {
		if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
			return &diffSide{label: termsafe.String(arg), arg: arg, file: true}, nil
		}
		if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
			a := termsafe.String(arg)
			return nil, fmt.Errorf("diff: %s is both a file here and a secret id; write ./%s or file:%s for the file, secret:%s for the secret", a, a, a, a)
		}
	}
	if strings.HasPrefix(id, store.PathPrefix) {
		// Its parameters are not one document; export turns them into one,
		// and stdin keeps the values off the disk.
		return nil, fmt.Errorf("diff: %s is a Parameter Store path, and diff compares secrets and files; pipe its variables in: secretenv --secret-id %s export | secretenv diff - B", termsafe.String(arg), termsafe.String(id))
	}
	v, key, err := store.ParseSecretID(id)
	if err != nil {
		return nil, fmt.Errorf("diff: %s is not a secret id: %w; for a file, write ./%s or file:%s", termsafe.String(arg), err, termsafe.String(arg), termsafe.String(arg))
	}
	if key != "" {
		return nil, fmt.Errorf("diff: %s names json-key %q; diff compares whole-object secrets (leave that field empty)", termsafe.String(arg), key)
	}
	return &diffSide{label: termsafe.String(arg), arg: id, version: v}, nil
}

// readDiffFiles reads the file sides with put's readers: a .json object, or
// a dotenv file (.env, .env.example with empty values).
func readDiffFiles(sides []*diffSide, stdin io.Reader) error {
	for _, s := range sides {
		if !s.file {
			continue
		}
		vars, err := dotenv.ReadVars(s.arg, "", stdin)
		if err == nil {
			err = keys.CheckNames(vars)
			if err != nil {
				err = fmt.Errorf("%s: %w", s.label, err)
			}
		}
		if err != nil {
			return fmt.Errorf("diff: %w", err) // names the file and line, never a value
		}
		s.vars = vars
	}
	return nil
}

// fetchDiffSecrets fetches the secret sides under one --timeout deadline
// and parses them with the entrypoint's rules (a JSON object, valid names,
// no duplicate key, no NUL), so diff sees what the app would see.
func fetchDiffSecrets(ctx context.Context, inv *invocation, sides []*diffSide) error {
	var versions []store.SecretVersion
	for _, s := range sides {
		if !s.file && (len(versions) == 0 || versions[0] != s.version) {
			versions = append(versions, s.version)
		}
	}
	if len(versions) == 0 {
		return nil // file against file: no AWS at all
	}
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	sm, err := newStore(ctx, inv)
	if err != nil {
		return err
	}
	texts, err := sm.FetchAll(ctx, versions)
	if err != nil {
		var fe *store.FetchError
		if errors.As(err, &fe) && looksLikePath(fe.Version.ID) {
			return fmt.Errorf("%w; no file %s exists either", err, termsafe.String(fe.Version.ID))
		}
		return err
	}
	for _, s := range sides {
		if s.file {
			continue
		}
		vars, err := secret.Parse([]byte(texts[s.version]))
		if err == nil {
			err = keys.CheckNames(vars)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.label, err)
		}
		s.vars = vars
	}
	return nil
}

// looksLikePath reports whether a secret id that failed was more likely
// meant as a file name.
func looksLikePath(id string) bool {
	return strings.HasPrefix(id, ".") || strings.HasPrefix(id, "/") ||
		strings.HasSuffix(id, ".env") || strings.HasSuffix(id, ".json") || strings.HasSuffix(id, ".example")
}

// varsDiff is the outcome of comparing two sets of variables.
type varsDiff struct {
	onlyA, onlyB, differs map[string]bool
	same                  int // keys in both with equal values (with --keys: keys in both)
}

func (d varsDiff) equal() bool {
	return len(d.onlyA) == 0 && len(d.onlyB) == 0 && len(d.differs) == 0
}

// diffVars compares a and b by key, and by value unless keysOnly.
// Values compare as the environment would hold them (secret.Parse's
// conversion), so 1.50 and "1.50" are the same.
func diffVars(a, b map[string]string, keysOnly bool) varsDiff {
	d := varsDiff{onlyA: map[string]bool{}, onlyB: map[string]bool{}, differs: map[string]bool{}}
	for k, va := range a {
		vb, ok := b[k]
		switch {
		case !ok:
			d.onlyA[k] = true
		case !keysOnly && va != vb:
			d.differs[k] = true
		default:
			d.same++
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d.onlyB[k] = true
		}
	}
	return d
}

// writeDiff prints one line per differing key, sorted by key, then the
// count of identical keys. Values appear only with --show-values, each on an
// indented line of its own, quoted so that no control character reaches
// the terminal raw.
func writeDiff(w io.Writer, a, b *diffSide, d varsDiff, opts options) error {
	var out strings.Builder
	keys := make(map[string]bool, len(d.onlyA)+len(d.onlyB)+len(d.differs))
	for _, m := range []map[string]bool{d.onlyA, d.onlyB, d.differs} {
		for k := range m {
			keys[k] = true
		}
	}
	value := func(s *diffSide, k string) {
		if opts.showValues {
			fmt.Fprintf(&out, "  %s: %s\n", s.label, strconv.Quote(s.vars[k]))
		}
	}
	for _, k := range sortedKeys(keys) {
		switch {
		case d.onlyA[k]:
			fmt.Fprintf(&out, "only in %s: %s\n", a.label, termsafe.String(k))
			value(a, k)
		case d.onlyB[k]:
			fmt.Fprintf(&out, "only in %s: %s\n", b.label, termsafe.String(k))
			value(b, k)
		default:
			fmt.Fprintf(&out, "differs: %s\n", termsafe.String(k))
			value(a, k)
			value(b, k)
		}
	}
	if opts.keysOnly {
		fmt.Fprintf(&out, "%d %s in both\n", d.same, plural(d.same, "key", "keys"))
	} else {
		fmt.Fprintf(&out, "%d identical %s\n", d.same, plural(d.same, "key", "keys"))
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
