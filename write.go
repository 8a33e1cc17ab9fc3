package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
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
func writeTarget(cmd string, args []string) (secretVersion, error) {
	if len(args) != 1 {
		return secretVersion{}, usageError("%s takes one secret id, got %d arguments", cmd, len(args))
	}
	if strings.HasPrefix(args[0], pathPrefix) || isParameterARN(args[0]) {
		return secretVersion{}, usageError("%s writes Secrets Manager secrets; %s is in Parameter Store (use aws ssm put-parameter)", cmd, args[0])
	}
	v, key, err := parseSecretID(args[0])
	if err != nil {
		return secretVersion{}, usageError("%s: %v", cmd, err)
	}
	if key != "" || v.Stage != "" || v.VersionID != "" {
		return secretVersion{}, usageError("%s writes the current version of a whole secret; remove the json-key and version fields from %s", cmd, args[0])
	}
	return v, nil
}

// current is a secret as read before a write.
type current struct {
	exists    bool
	versionID string
	doc       document
	// unreadable says why the stored version is not a JSON object of
	// KEY: value (doc is then empty); only put --replace writes over it.
	unreadable error
}

// readCurrent reads the secret's current value and VersionId. A secret that
// does not exist reads as an empty object, to be created on write.
func readCurrent(ctx context.Context, store *secretStore, v secretVersion) (current, error) {
	region := store.region(v)
	if region == "" {
		return current{}, fmt.Errorf("%s: no AWS region configured; set AWS_REGION or pass --region (or give the secret as a full ARN)", v)
	}
	var tr requestTrace
	// AWSCURRENT is the default stage in AWS; asked for by name because
	// moto (5.2.1) answers a stageless read with the version PutSecretValue
	// last made current, not the one UpdateSecretVersionStage moved
	// AWSCURRENT to, and the compare-and-swap in commit depends on it.
	out, err := store.client(region).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(v.ID), VersionStage: aws.String("AWSCURRENT"),
	}, callOptions(&tr, false))
	store.log.Debug("read secret", "secret", v.String(), "region", region, "endpoint", tr.endpoint, "attempts", tr.attempts, "ok", err == nil)
	if err != nil {
		if apiCode(err) == "ResourceNotFoundException" && !late(ctx) {
			// Also the answer for a secret that exists without a value
			// (CreateSecret without SecretString, as Terraform's
			// aws_secretsmanager_secret leaves it): CreateSecret would then
			// fail with ResourceExistsException on every run, while
			// PutSecretValue gives it its first version. DescribeSecret
			// tells them apart; if it fails, the secret is taken as missing.
			_, derr := store.client(region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(v.ID)}, callOptions(&tr, false))
			store.log.Debug("describe secret", "secret", v.String(), "region", region, "ok", derr == nil)
			return current{exists: derr == nil, doc: document{}}, nil
		}
		return current{}, describeFetchError(ctx, v, region, store.timeout, tr, withLastError(ctx, err, tr))
	}
	cur := current{exists: true, versionID: aws.ToString(out.VersionId), doc: document{}}
	if out.SecretString == nil {
		cur.unreadable = fmt.Errorf("%s: the secret has only SecretBinary, not JSON text", v)
		if out.SecretBinary == nil {
			cur.unreadable = fmt.Errorf("%s: the stored version holds no value (neither SecretString nor SecretBinary)", v)
		}
		return cur, nil
	}
	doc, _, err := parseDocument([]byte(*out.SecretString))
	switch {
	case errors.Is(err, errNotObject):
		cur.unreadable = fmt.Errorf("%s: the stored secret is not a JSON object of KEY: value", v)
	case err != nil:
		cur.unreadable = fmt.Errorf("%s: the stored secret is not valid JSON (%v)", v, err)
	default:
		cur.doc = doc
	}
	return cur, nil
}

// readForWrite opens the store, checks the AWS settings and reads the
// secret's current version, under one deadline. A stop signal that ended
// it makes its error the 128+N exit.
func readForWrite(ctx context.Context, inv *invocation, v secretVersion) (*secretStore, current, error) {
	readCtx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	store, err := newCheckedStore(readCtx, inv.opts, inv.environ, inv.log)
	if err != nil {
		return nil, current{}, signalled(ctx, err)
	}
	base, err := readCurrent(readCtx, store, v)
	if err != nil {
		return nil, current{}, signalled(ctx, err)
	}
	// A secret that cannot be created under this id is said now, before an
	// editor or a question, not after them.
	switch {
	case base.exists:
	case strings.HasPrefix(v.ID, "arn:"): // CreateSecret takes a name
		return nil, current{}, fmt.Errorf("%s: secret not found in region %s; to create it, give its name, not an ARN", v, store.region(v))
	case !validSecretName(v.ID): // such as name::AWSPREVIOUS, a version stage after a name
		return nil, current{}, fmt.Errorf("%s: secret not found in region %s, and a new secret's name holds only letters, digits and /_+=.@-", v, store.region(v))
	}
	return store, base, nil
}

// validSecretName reports whether CreateSecret accepts name: ASCII letters,
// digits and /_+=.@-, at most 512 characters.
func validSecretName(name string) bool {
	if len(name) > 512 {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("/_+=.@-", r)) {
			return false
		}
	}
	return true
}

// readable refuses a stored secret that is not a JSON object; put
// --replace, which does not need it, writes over it instead.
func (c current) readable() error {
	if c.unreadable != nil {
		return fmt.Errorf("%w; replace it whole with put --replace", c.unreadable)
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
	allowed, err := allowSet(opts.allowKeys)
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
func validateDocument(doc document, lines map[string]int, rules writeRules) error {
	at := func(key string) string {
		if l, ok := lines[key]; ok {
			return fmt.Sprintf("line %d: ", l)
		}
		return ""
	}
	all := doc.values()
	for _, k := range sortedKeys(all) {
		vals := map[string]string{k: all[k]}
		if err := checkVars(vals); err != nil {
			return fmt.Errorf("%s%w", at(k), err)
		}
		if err := checkDeclared(vals, rules.declared); err != nil {
			return fmt.Errorf("%s%w", at(k), err)
		}
		if err := checkDenied(vals, rules.allowed); err != nil {
			return fmt.Errorf("%s%w", at(k), err)
		}
	}
	stored := doc.stored()
	if len(stored) > maxSecretString {
		return fmt.Errorf("the secret would be %d bytes stored, over Secrets Manager's limit of %d; move some keys to another secret", len(stored), maxSecretString)
	}
	vars, err := parseSecret([]byte(stored))
	if err == nil {
		err = checkVars(vars)
	}
	if err == nil {
		err = checkDeclared(vars, rules.declared)
	}
	if err == nil {
		err = checkDenied(vars, rules.allowed)
	}
	return err
}

// printChanges writes the change list, one key a line; values only with
// --show-values.
func printChanges(w io.Writer, changes []change, showValues bool) error {
	var b strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&b, "%-8s %s", c.kind+":", displayKey(c.key))
		if showValues {
			switch c.kind {
			case "added":
				fmt.Fprintf(&b, " = %s", strconv.Quote(c.new))
			case "removed":
				fmt.Fprintf(&b, " (was %s)", strconv.Quote(c.old))
			default:
				fmt.Fprintf(&b, ": %s -> %s", strconv.Quote(c.old), strconv.Quote(c.new))
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
	if validKey(k) {
		return k
	}
	return quoteKey(k)
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
	if !isTerminal(inv.stdin) {
		return fmt.Errorf("%s: %s to write and stdin is not a terminal to confirm them; pass --yes (or --dry-run to only list them)", id, changesText(n))
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

// pendingLabelPrefix starts the staging label a new version carries
// between PutSecretValue and the move of AWSCURRENT to it. A label of its
// own (the prefix and the version's id) keeps AWSCURRENT where it is until
// the compare-and-swap, and says who left it if the process dies between
// the two calls. It is removed either way: a secret carries at most 20
// staging labels in AWS, and a version with none is deprecated and deleted
// by Secrets Manager in time.
const pendingLabelPrefix = "secretenv-pending-"

// pendingCleanupTimeout bounds the removal of the pending label. It runs
// after the write's own deadline or a stop signal too (the label would be
// left otherwise), so it needs a bound of its own.
const pendingCleanupTimeout = 5 * time.Second

// commit writes next as the secret's new current version, unless someone
// else wrote a version since base was read. It has a deadline of its own:
// the time a person spent in the editor or at the question is not AWS's.
//
// The check is a real compare-and-swap, not a re-read before the write
// (which leaves a window of some milliseconds for a second writer): the
// new version is written under a pending label, then AWSCURRENT is moved
// to it with RemoveFromVersionId = the version read, which Secrets Manager
// refuses when AWSCURRENT is no longer there. A new secret is created with
// CreateSecret, which refuses a name that exists.
func commit(ctx context.Context, inv *invocation, store *secretStore, v secretVersion, base current, next document) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	// A cheap early refusal of the common case (a person in the editor
	// while a colleague wrote), before a version is written; the swap
	// below is what makes it safe.
	now, err := readCurrent(ctx, store, v)
	if err != nil {
		return "", err
	}
	if now.exists != base.exists || now.versionID != base.versionID {
		return "", raceError(v, base, now)
	}
	token, err := newRequestToken()
	if err != nil {
		return "", err
	}
	if !now.exists {
		return create(ctx, inv, store, v, base, next.stored(), token)
	}
	return swap(ctx, inv, store, v, base, next.stored(), token)
}

// create makes the secret with stored as its first version. The same
// ClientRequestToken on every attempt: a retry of a request that did reach
// Secrets Manager is then recognised, not a second secret.
func create(ctx context.Context, inv *invocation, store *secretStore, v secretVersion, base current, stored, token string) (string, error) {
	region := store.region(v)
	in := &secretsmanager.CreateSecretInput{Name: aws.String(v.ID), SecretString: aws.String(stored), ClientRequestToken: aws.String(token)}
	if inv.opts.kmsKeyID != "" {
		in.KmsKeyId = aws.String(inv.opts.kmsKeyID)
	}
	if inv.opts.description != "" {
		in.Description = aws.String(inv.opts.description)
	}
	var tr requestTrace
	out, err := store.client(region).CreateSecret(ctx, in, callOptions(&tr, true))
	store.log.Debug("created secret", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if err == nil {
		return aws.ToString(out.VersionId), nil
	}
	if apiCode(err) != "ResourceExistsException" {
		return "", describeWriteError(ctx, store, v, region, "CreateSecret", tr, withLastError(ctx, err, tr))
	}
	// Someone else created it first, or this is the SDK's retry of our
	// own CreateSecret whose answer was lost: then the current version
	// carries our token as its VersionId.
	now, rerr := readCurrent(ctx, store, v)
	if rerr == nil && now.versionID == token {
		return token, nil
	}
	if rerr != nil {
		now = current{exists: true}
	}
	return "", raceError(v, base, now)
}

// swap writes stored as a version under a pending label, then moves
// AWSCURRENT to it from base's version; see commit.
func swap(ctx context.Context, inv *invocation, store *secretStore, v secretVersion, base current, stored, token string) (string, error) {
	region := store.region(v)
	client := store.client(region)
	label := pendingLabelPrefix + token
	var tr requestTrace
	out, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(v.ID), SecretString: aws.String(stored), ClientRequestToken: aws.String(token),
		// Only the pending label: without VersionStages, PutSecretValue
		// would move AWSCURRENT here at once, whoever wrote meanwhile.
		VersionStages: []string{label},
	}, callOptions(&tr, true))
	store.log.Debug("put secret value", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if err != nil {
		return "", describeWriteError(ctx, store, v, region, "PutSecretValue", tr, withLastError(ctx, err, tr))
	}
	version := aws.ToString(out.VersionId)
	if version == "" {
		version = token // Secrets Manager uses the token as the VersionId
	}
	if !slices.Contains(out.VersionStages, "AWSCURRENT") {
		// The first value of a secret created without one is made current
		// by PutSecretValue itself; there is no version to swap from then,
		// and the move (without RemoveFromVersionId) fails if someone
		// else's version became current meanwhile.
		in := &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String(v.ID), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(version),
		}
		if base.versionID != "" {
			in.RemoveFromVersionId = aws.String(base.versionID)
		}
		var tr requestTrace
		_, err = client.UpdateSecretVersionStage(ctx, in, callOptions(&tr, true))
		store.log.Debug("moved AWSCURRENT", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
		if err != nil {
			// Who holds AWSCURRENT now decides. Our version: the SDK retried
			// a move that had succeeded and whose answer was lost (the
			// retry finds AWSCURRENT gone from base's version). Another
			// version: someone else wrote in between; nothing of ours is
			// current.
			now, rerr := readCurrent(ctx, store, v)
			switch {
			case rerr == nil && now.versionID == version:
				err = nil
			case rerr == nil && (now.exists != base.exists || now.versionID != base.versionID):
				return "", withLeftover(raceError(v, base, now), removePending(ctx, store, v, label, version), v, label, version)
			default:
				werr := describeWriteError(ctx, store, v, region, "UpdateSecretVersionStage", tr, withLastError(ctx, err, tr))
				return "", withLeftover(werr, removePending(ctx, store, v, label, version), v, label, version)
			}
		}
	}
	if err := removePending(ctx, store, v, label, version); err != nil {
		// Written and current: only the label is left, which is clutter,
		// not a failure.
		fmt.Fprintf(inv.stderr, "secretenv: %s: written, but the label %s is left on version %s (%s); remove it with %s\n", v, label, version, errorCode(err), removeLabelCommand(v, label, version))
	}
	return version, nil
}

// removePending removes label from version, best effort and bounded, also
// after ctx's deadline or a stop signal. A label already gone (a retry
// after a removal whose answer was lost) is not an error.
func removePending(ctx context.Context, store *secretStore, v secretVersion, label, version string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pendingCleanupTimeout)
	defer cancel()
	region := store.region(v)
	var tr requestTrace
	_, err := store.client(region).UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(v.ID), VersionStage: aws.String(label), RemoveFromVersionId: aws.String(version),
	}, callOptions(&tr, true))
	store.log.Debug("removed pending label", "secret", v.String(), "region", region, "attempts", tr.attempts, "ok", err == nil)
	if tr.attempts > 1 && apiCode(err) == "InvalidParameterException" {
		return nil
	}
	return err
}

// withLeftover adds to err, when the pending label could not be removed
// (cleanup is that failure), where the version is and how to remove it.
func withLeftover(err, cleanup error, v secretVersion, label, version string) error {
	if cleanup == nil {
		return err
	}
	return fmt.Errorf("%w; a version labelled %s (not current) is left: remove the label with %s", err, label, removeLabelCommand(v, label, version))
}

// removeLabelCommand is the AWS CLI command that removes label from version.
func removeLabelCommand(v secretVersion, label, version string) string {
	return fmt.Sprintf("aws secretsmanager update-secret-version-stage --secret-id %s --version-stage %s --remove-from-version-id %s", v.ID, label, version)
}

// errorCode is err's AWS error code, or "no answer" when it has none.
func errorCode(err error) string {
	if code := apiCode(err); code != "" {
		return code
	}
	return "no answer"
}

// prepare settles next against base and validates it, returning what to
// write and the change list.
func prepare(base current, next document, lines map[string]int, rules writeRules) (document, []change, error) {
	next = settle(base.doc, next)
	if err := validateDocument(next, lines, rules); err != nil {
		return nil, nil, err
	}
	return next, diffDocuments(base.doc, next), nil
}

// apply shows the changes, asks, and writes. dryRun stops after the list.
func apply(ctx context.Context, inv *invocation, store *secretStore, v secretVersion, base current, next document, changes []change, dryRun bool) error {
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
	version, err := commit(ctx, inv, store, v, base, next)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(inv.stdout, "%s: %s %s (version %s)\n", v, verb, changesText(n), version)
	return err
}

// callOptions traces a call's attempts into tr; a write also stops
// retrying LimitExceededException.
func callOptions(tr *requestTrace, write bool) func(*secretsmanager.Options) {
	return func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, traceAttempts(tr))
		if write {
			o.Retryer = writeRetryer{o.Retryer}
		}
	}
}

// writeRetryer retries what reads retry except LimitExceededException,
// which the SDK counts as throttling but which for a write means a
// Secrets Manager quota (such as versions of one secret) that no retry
// frees: the person should hear it now, not at the deadline.
type writeRetryer struct{ aws.Retryer }

func (r writeRetryer) IsErrorRetryable(err error) bool {
	return apiCode(err) != "LimitExceededException" && r.Retryer.IsErrorRetryable(err)
}

// raceError says that someone else wrote the secret after it was read, and
// which keys they changed (names only).
func raceError(v secretVersion, base, now current) error {
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
	for _, c := range diffDocuments(base.doc, now.doc) {
		changed = append(changed, c.key)
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

// newRequestToken is a random (version 4) UUID for ClientRequestToken,
// which Secrets Manager also uses as the new VersionId.
func newRequestToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cannot generate a request token: %v", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// describeWriteError turns an error from op (PutSecretValue, CreateSecret)
// into one line naming the AWS error code and what to do; the codes that
// reading shares are left to GetSecretValue's description. Never the SDK's
// message, which can quote the request.
func describeWriteError(ctx context.Context, store *secretStore, v secretVersion, region, op string, tr requestTrace, err error) error {
	req := getSecretValueRequest(v, region, store.timeout, &tr)
	code := apiCode(err)
	if late(ctx) {
		code = ""
	}
	if text := describeWriteCode(code, op); text != "" {
		return fmt.Errorf("%s: %s", v, text)
	}
	if late(ctx) && tr.attempts > 0 {
		// A request sent may have been carried out: a second run would then
		// find the version changed and name the keys "someone else" changed.
		return fmt.Errorf("%w; the %s may have reached Secrets Manager, so check the secret's current version before running again", req.describe(ctx, err), op)
	}
	if code == "" && errors.As(err, new(*smithy.DeserializationError)) {
		return fmt.Errorf("%s; the write may have happened, so check the secret's versions before trying again", req.invalidResponse(op))
	}
	return req.describe(ctx, err)
}

// describeWriteCode explains the error codes of a write, or returns "".
func describeWriteCode(code, op string) string {
	switch code {
	case "AccessDeniedException":
		return fmt.Sprintf("access denied to %s (%s); the role needs secretsmanager:%s on this secret, and kms:GenerateDataKey and kms:Encrypt on a customer KMS key (examples/iam-policy-maintainer.json)", op, code, op)
	case "EncryptionFailure":
		return fmt.Sprintf("cannot encrypt the secret (%s); check the KMS key (--kms-key-id) is enabled and the role may use it", code)
	case "LimitExceededException":
		return fmt.Sprintf("Secrets Manager refused the write (%s): too many versions or secrets; retry in a while", code)
	case "InvalidRequestException":
		return fmt.Sprintf("Secrets Manager refused the write (%s); the secret may be scheduled for deletion (restore it first)", code)
	case "InvalidParameterException", "ValidationException":
		return fmt.Sprintf("Secrets Manager refused a parameter of %s (%s); check --kms-key-id, --description and the name", op, code)
	}
	return ""
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
