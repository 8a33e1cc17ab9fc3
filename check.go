package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/secretenv/secretenv/internal/store"
)

// checkCmd fetches and validates, then prints where each name would come
// from; it answers for the exec that would follow, E2BIG included.
var checkCmd = &command{
	name:  "check",
	usage: "[flags] check",
	help: `Fetch and validate the secrets as the entrypoint would, then print, instead
of running a command, each variable that would be set and where its value
comes from (or that the environment's own value is kept). Never a value.
Exit 0 when the command would start, 125 when it would not.

Flags: none of its own; --require, --require-from and the key rules apply.

Examples:
  SECRET_ID=myapp/prod secretenv check
  secretenv --secret-id myapp/prod --require-from .env.example check
`,
	run: func(ctx context.Context, inv *invocation) error {
		res, err := loadUntilStopped(ctx, inv)
		if err != nil {
			return err
		}
		if err := checkExecLimits(nil, res.Env, res.Set); err != nil {
			return err
		}
		if err := checkFiles(res.Files); err != nil {
			return err
		}
		if inv.opts.verbose {
			logIdentity(ctx, inv)
		}
		return writeCheck(inv.stdout, res)
	},
}

// logIdentity logs, for check --verbose, whose credentials secretenv used:
// the first question when a permission is missing. It costs one STS request,
// so only check asks it, and only when verbose; a failure is logged, not
// returned, since the check itself passed.
func logIdentity(ctx context.Context, inv *invocation) {
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	sm, err := newStore(ctx, inv)
	if err == nil {
		var arn string
		if arn, err = sm.CallerIdentity(ctx); err == nil {
			inv.log.Debug("caller identity", "arn", arn)
			return
		}
	}
	inv.log.Debug("caller identity unknown", "error", err.Error())
}

// writeCheck prints, as an aligned table sorted by name, every variable a
// secret touched and where its value comes from. It never prints a value.
func writeCheck(w io.Writer, res mergeResult) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE")
	names := make([]string, 0, len(res.Set)+len(res.Kept))
	for name := range res.Set {
		names = append(names, name)
	}
	for name := range res.Kept { // never also in Set: the environment won
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(tw, "%s\t%s\n", name, describeSource(name, res))
	}
	for _, f := range res.Files { // out of the environment: in a file
		fmt.Fprintf(tw, "%s\t%s → %s (%s), not in the environment\n", f.Name, f.From, f.Path, f.Origin)
	}
	tw.Flush()
	_, err := w.Write(buf.Bytes())
	return err
}

// describeSource says in a few words where name's value comes from.
func describeSource(name string, res mergeResult) string {
	src, ok := res.Set[name]
	switch {
	case !ok:
		return "environment, kept over " + store.DescribeOrigin(res.Kept[name])
	case src.Ref && store.IsParameterARN(src.Secret):
		return store.DescribeOrigin(src.Secret)
	case src.Ref:
		return "reference to " + src.Secret
	case src.Composed && src.Built == "":
		return src.Secret + ", a fixed text"
	case src.Composed:
		return "built by " + src.Secret + " from " + src.Built + ", replacing any other value"
	case src.Override:
		return store.DescribeOrigin(src.Secret) + ", replacing the environment's value (--override)"
	}
	return store.DescribeOrigin(src.Secret)
}
