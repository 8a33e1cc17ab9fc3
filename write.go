package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/secret"
	"github.com/secretenv/secretenv/internal/store"
	"github.com/secretenv/secretenv/internal/supervise"
)

// This file is the write path that edit and put share: validate with the
// entrypoint's rules, show the change list, confirm, check that nobody else
// wrote since the read, and write.

// maxSecretString is Secrets Manager's limit on SecretString: 65,536 bytes
// (PutSecretValue, CreateSecret).
const maxSecretString = 65536

// Exit statuses of the writing commands, besides 0 and exitFailure.
const exitDeclined = 1 // the person said no, or the editor failed: nothing written

// addWriteFlags registers the flags edit and put share.
func addWriteFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.yes, "yes", false, "")
	fs.BoolVar(&o.showValues, "show-values", false, "")
	fs.StringVar(&o.kmsKeyID, "kms-key-id", "", "")
	fs.StringVar(&o.description, "description", "", "")
}

// writeTarget parses the one secret id a writing command takes. Writes go
// to the current version, so the ECS fields are refused.
func writeTarget(cmd string, args []string) (store.SecretVersion, error) {
	if len(args) != 1 {
		return store.SecretVersion{}, usageError("%s takes one secret id, got %d arguments", cmd, len(args))
	}
	if strings.HasPrefix(args[0], store.PathPrefix) || store.IsParameterARN(args[0]) {
		return store.SecretVersion{}, usageError("%s writes Secrets Manager secrets; %s is in Parameter Store (use aws ssm put-parameter)", cmd, args[0])
	}
	v, key, err := store.ParseSecretID(args[0])
	if err != nil {
		return store.SecretVersion{}, usageError("%s: %v", cmd, err)
	}
	if key != "" || v.Stage != "" || v.VersionID != "" {
		return store.SecretVersion{}, usageError("%s writes the current version of a whole secret; remove the json-key and version fields from %s", cmd, args[0])
	}
	return v, nil
}

// current is a secret as read before a write.
type current struct {
	exists    bool
	versionID string
	doc       secret.Document
	// unreadable says why the stored version is not a JSON object of
	// KEY: value (doc is then empty); put --replace writes over it, and
	// edit opens raw to be repaired.
	unreadable error
	// raw is the stored text when it is text but unreadable: what edit
	// opens, so that a person can repair what someone stored.
	raw string
}

// readCurrent reads the secret's current value and VersionId. A secret that
// does not exist reads as an empty object, to be created on write.
func readCurrent(ctx context.Context, sm *store.SecretStore, v store.SecretVersion) (current, error) {
	s, err := sm.ReadCurrent(ctx, v)
	if err != nil {
		return current{}, err
	}
	return storedCurrent(v, s), nil
}

// storedCurrent reads the stored version s as a secret.Document.
func storedCurrent(v store.SecretVersion, s store.Current) current {
	cur := current{exists: s.Exists, versionID: s.VersionID, doc: secret.Document{}}
	switch {
	case !s.Exists || s.Versionless:
		return cur
	case s.Binary:
		cur.unreadable = fmt.Errorf("%s: the secret has only SecretBinary, not JSON text", v)
		return cur
	case s.NoValue:
		cur.unreadable = fmt.Errorf("%s: the stored version holds no value (neither SecretString nor SecretBinary)", v)
		return cur
	}
	doc, _, err := secret.ParseDocument([]byte(s.Text))
	if err != nil {
		cur.raw = s.Text
	}
	switch {
	case errors.Is(err, secret.ErrNotObject):
		cur.unreadable = fmt.Errorf("%s: the stored secret is not a JSON object of KEY: value", v)
	case err != nil:
		cur.unreadable = fmt.Errorf("%s: the stored secret is not valid JSON (%v)", v, err)
	default:
		cur.doc = doc
	}
	return cur
}

// readForWrite opens the store, checks the AWS settings and reads the
// secret's current version, under one deadline. A stop signal that ended
// it makes its error the 128+N exit.
func readForWrite(ctx context.Context, inv *invocation, v store.SecretVersion) (*store.SecretStore, current, error) {
	readCtx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	sm, err := newStore(readCtx, inv)
	if err != nil {
		return nil, current{}, signalled(ctx, err)
	}
	base, err := readCurrent(readCtx, sm, v)
	if err != nil {
		return nil, current{}, signalled(ctx, err)
	}
	// A secret that cannot be created under this id is said now, before an
	// editor or a question, not after them.
	switch {
	case base.exists:
	case strings.HasPrefix(v.ID, "arn:"): // CreateSecret takes a name
		return nil, current{}, fmt.Errorf("%s: secret not found in region %s; to create it, give its name, not an ARN", v, sm.Region(v))
	case !store.ValidSecretName(v.ID): // such as app#1: no secret can have it
		return nil, current{}, fmt.Errorf("%s: secret not found in region %s, and a new secret's name holds only letters, digits and /_+=.@-", v, sm.Region(v))
	}
	return sm, base, nil
}

func (c current) readable() error {
	if c.unreadable != nil {
		return fmt.Errorf("%w; repair it with secretenv edit, or replace it whole with put --replace", c.unreadable)
	}
	return nil
}

// writeRules are the entrypoint's settings that decide which keys it
// accepts: --allow-key and --only-key/--only-keys-from (or their
// environment twins). They are read before anything else, so that a bad
// setting fails before the editor opens.
type writeRules struct {
	allowed  map[string]bool
	declared map[string]bool // nil: every key is declared
}

func newWriteRules(opts options) (writeRules, error) {
	allowed, err := keys.AllowSet(opts.allowKeys)
	if err != nil {
		return writeRules{}, err
	}
	declared, err := declaredKeys(opts)
	if err != nil {
		return writeRules{}, err
	}
	return writeRules{allowed: allowed, declared: declared}, nil
}

// validateDocument applies the entrypoint's rules to what would be stored:
// key names, NUL bytes, undeclared keys (--only-key), the code-loading keys
// unless allowed, and the
// 65,536-byte limit. lines, when known, puts the line of the first bad key
// in the message. Last, the stored text goes through the entrypoint's own
// parser, so that nothing is written that it would refuse.
func validateDocument(doc secret.Document, lines map[string]int, rules writeRules) error {
	at := func(key string) string {
		if l, ok := lines[key]; ok {
			return fmt.Sprintf("line %d: ", l)
		}
		return ""
	}
	all := doc.Values()
	for _, k := range sortedKeys(all) {
		vals := map[string]string{k: all[k]}
		if err := keys.CheckNames(vals); err != nil {
			return fmt.Errorf("%s%w", at(k), err)
		}
		if err := keys.CheckDeclared(vals, rules.declared); err != nil {
			return fmt.Errorf("%s%w", at(k), err)
		}
		if err := keys.CheckDenied(vals, rules.allowed); err != nil {
			return fmt.Errorf("%s%w", at(k), err)
		}
	}
	stored := doc.Stored()
	if len(stored) > maxSecretString {
		return fmt.Errorf("the secret would be %d bytes stored, over Secrets Manager's limit of %d; move some keys to another secret", len(stored), maxSecretString)
	}
	vars, err := secret.Parse([]byte(stored))
	if err == nil {
		err = keys.CheckNames(vars)
	}
	if err == nil {
		err = keys.CheckDeclared(vars, rules.declared)
	}
	if err == nil {
		err = keys.CheckDenied(vars, rules.allowed)
	}
	return err
}

// printChanges writes the change list, one key a line; values only with
// --show-values.
func printChanges(w io.Writer, changes []secret.Change, showValues bool) error {
	var b strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&b, "%-8s %s", c.Kind+":", displayKey(c.Key))
		if showValues {
			switch c.Kind {
			case "added":
				fmt.Fprintf(&b, " = %s", strconv.Quote(c.New))
			case "removed":
				fmt.Fprintf(&b, " (was %s)", strconv.Quote(c.Old))
			default:
				fmt.Fprintf(&b, ": %s -> %s", strconv.Quote(c.Old), strconv.Quote(c.New))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// displayKey is a key for the change list: as it is when it is a variable
// name, quoted otherwise. A stored key need not be a name (removing it is
// what an edit is for), and whoever wrote it chose its characters, escape
// sequences included.
func displayKey(k string) string {
	if keys.Valid(k) {
		return k
	}
	return keys.Quote(k)
}

// changesText is "1 change" or "N changes".
func changesText(n int) string {
	return fmt.Sprintf("%d %s", n, plural(n, "change", "changes"))
}

// ask asks a yes/no question on the terminal; def is the answer to an
// empty line. A cancelled ctx (a stop signal) ends the wait.
func ask(ctx context.Context, inv *invocation, question string, def bool) (bool, error) {
	hint := " [y/N] "
	if def {
		hint = " [Y/n] "
	}
	fmt.Fprint(inv.stderr, question+hint)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := readLine(inv.stdin)
		ch <- answer{line, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil && a.line == "" {
			fmt.Fprintln(inv.stderr)
			return false, nil // end of input is no
		}
		switch strings.ToLower(strings.TrimSpace(a.line)) {
		case "":
			return def, nil
		case "y", "yes":
			return true, nil
		}
		return false, nil
	case <-ctx.Done():
		fmt.Fprintln(inv.stderr)
		return false, context.Cause(ctx)
	}
}

// readLine reads one line a byte at a time, so that nothing after it is
// taken from stdin (the editor reads it next).
func readLine(r io.Reader) (string, error) {
	var b []byte
	var c [1]byte
	for len(b) < 1024 {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return string(b), nil
			}
			b = append(b, c[0])
		}
		if err != nil {
			return string(b), err
		}
	}
	return string(b), nil
}

// confirm asks before n changes are written: --yes answers yes; without a
// terminal and without --yes it is an error, never a silent write.
func confirm(ctx context.Context, inv *invocation, id string, n int) error {
	if inv.opts.yes {
		return nil
	}
	if !supervise.IsTerminal(inv.stdin) {
		hint := "pass --yes"
		if inv.name == "put" { // edit has no --dry-run: its editor is the preview
			hint += " (or --dry-run to only list them)"
		}
		return fmt.Errorf("%s: %s to write and stdin is not a terminal to confirm them; %s", id, changesText(n), hint)
	}
	ok, err := ask(ctx, inv, fmt.Sprintf("Write %s to %s?", changesText(n), id), false)
	if err != nil {
		return err
	}
	if !ok {
		return &exitError{exitDeclined, fmt.Errorf("%s: nothing written", id)}
	}
	return nil
}

// commit writes next as the secret's new current version, unless someone
// else wrote a version since base was read. It has a deadline of its own:
// the time a person spent in the editor or at the question is not AWS's.
//
// The check is a real compare-and-swap, not a re-read before the write
// (which leaves a window of some milliseconds for a second writer):
// store.Swap moves AWSCURRENT to the new version only from base's, and a
// new secret is created with CreateSecret, which refuses a name that
// exists (store.Create).
func commit(ctx context.Context, inv *invocation, sm *store.SecretStore, v store.SecretVersion, base current, next secret.Document) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	// A cheap early refusal of the common case (a person in the editor
	// while a colleague wrote), before a version is written; the swap
	// below is what makes it safe.
	now, err := readCurrent(ctx, sm, v)
	if err != nil {
		return "", err
	}
	if now.exists != base.exists || now.versionID != base.versionID {
		return "", raceError(v, base, now)
	}
	var w store.Written
	if !now.exists {
		w, err = sm.Create(ctx, v, next.Stored(), inv.opts.kmsKeyID, inv.opts.description)
	} else {
		w, err = sm.Swap(ctx, v, next.Stored(), base.versionID)
	}
	var conflict *store.ConflictError
	if errors.As(err, &conflict) {
		return "", conflict.Describe(raceError(v, base, storedCurrent(v, conflict.Now)))
	}
	if err != nil {
		return "", err
	}
	if w.Leftover != "" {
		fmt.Fprintf(inv.stderr, "secretenv: %s\n", w.Leftover)
	}
	return w.VersionID, nil
}

// prepare settles next against base and validates it, returning what to
// write and the change list.
func prepare(base current, next secret.Document, lines map[string]int, rules writeRules) (secret.Document, []secret.Change, error) {
	next = secret.Settle(base.doc, next)
	if err := validateDocument(next, lines, rules); err != nil {
		return nil, nil, err
	}
	return next, secret.DiffDocuments(base.doc, next), nil
}

// apply shows the changes, asks, and writes. dryRun stops after the list.
func apply(ctx context.Context, inv *invocation, sm *store.SecretStore, v store.SecretVersion, base current, next secret.Document, changes []secret.Change, dryRun bool) error {
	if base.exists && (inv.opts.kmsKeyID != "" || inv.opts.description != "") {
		// A note, not an error: a script that creates if missing runs twice.
		fmt.Fprintf(inv.stderr, "secretenv: %s exists, so --kms-key-id and --description are not used (they apply when a secret is created); change them with aws secretsmanager update-secret\n", v)
	}
	n := len(changes)
	list := new(strings.Builder)
	if base.unreadable != nil {
		// put --replace over a stored secret that is not a JSON object:
		// writing over it is a change even when no key is added.
		list.WriteString("replaced: the stored secret, which is not a JSON object\n")
		n++
	}
	if n == 0 {
		_, err := fmt.Fprintf(inv.stdout, "%s: no changes\n", v)
		return err
	}
	printChanges(list, changes, inv.opts.showValues)
	if _, err := io.WriteString(inv.stdout, list.String()); err != nil {
		return fmt.Errorf("%s: cannot print the change list: %v; nothing written", v, err)
	}
	if dryRun {
		_, err := fmt.Fprintf(inv.stdout, "%s: %s not written (--dry-run)\n", v, changesText(n))
		return err
	}
	if err := confirm(ctx, inv, v.String(), n); err != nil {
		return err
	}
	verb := "wrote"
	if !base.exists {
		verb = "created the secret with"
	}
	version, err := commit(ctx, inv, sm, v, base, next)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(inv.stdout, "%s: %s %s (version %s)\n", v, verb, changesText(n), version)
	return err
}

// raceError says that someone else wrote the secret after it was read, and
// which keys they changed (names only).
func raceError(v store.SecretVersion, base, now current) error {
	const what = "nothing written; run the command again to start from their version"
	if !base.exists {
		return fmt.Errorf("%s: someone else created the secret since it was read; %s", v, what)
	}
	if !now.exists {
		return fmt.Errorf("%s: someone else deleted the secret since it was read; %s", v, what)
	}
	if now.unreadable != nil {
		return fmt.Errorf("%s: someone else wrote a new version since it was read (not a JSON object); %s", v, what)
	}
	// Sorted by name, whatever the change: the change list groups them by
	// kind, but here they are one list a person scans for their own key.
	var changed []string
	for _, c := range secret.DiffDocuments(base.doc, now.doc) {
		changed = append(changed, c.Key)
	}
	slices.Sort(changed)
	var keys []string
	for _, k := range changed {
		keys = append(keys, displayKey(k))
	}
	which := "no key's value (only its stored form)"
	if len(keys) > 0 {
		which = "key " + strings.Join(keys, ", ")
	}
	return fmt.Errorf("%s: someone else wrote a new version since it was read (they changed %s); %s", v, which, what)
}

// stopOnSignal returns ctx cancelled with a signalError when a stop signal
// (SIGTERM, SIGINT, SIGHUP, and extra) arrives, so that every wait ends and every
// deferred clean-up runs; stop ends the watch.
func stopOnSignal(ctx context.Context, extra ...os.Signal) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	ch := notifyStop()
	if len(extra) > 0 { // Notify with no signals would relay every signal
		signal.Notify(ch, extra...)
	}
	go func() {
		select {
		case sig := <-ch:
			cancel(signalError{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// signalled replaces err by the 128+N exit when ctx was ended by a signal.
func signalled(ctx context.Context, err error) error {
	var se signalError
	if err != nil && errors.As(context.Cause(ctx), &se) {
		return &exitError{signalStatus(se.sig), fmt.Errorf("received %v; nothing written", se.sig)}
	}
	return err
}
