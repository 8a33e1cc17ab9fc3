package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/secretenv/secretenv/internal/store"
	"github.com/secretenv/secretenv/internal/termsafe"
)

// listCmd prints the secrets of a region whose names start with PREFIX,
// sorted by name, with their last-changed date and description. It never
// asks for a value: ListSecrets returns none.
var listCmd = &command{
	name:  "list",
	usage: "[flags] list [--json] [PREFIX]",
	help: `Print the names of the region's secrets that start with PREFIX, sorted,
with their last-changed date and description. Never a value: it does
not read any.

Flags:
  --json   one JSON array, for scripts

Examples:
  secretenv list myapp/
  secretenv --region eu-west-1 list --json
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.listJSON, "json", false, "")
	},
	check: func(o *options, args []string) error {
		if len(args) > 1 {
			return usageError("list takes at most one argument, a name prefix; got %d", len(args))
		}
		if len(args) == 1 {
			return checkListPrefix(args[0])
		}
		return nil
	},
	run: runList,
}

// maxListPrefix is the API's limit on a filter value.
const maxListPrefix = 512

// checkListPrefix refuses, before any request, a prefix no secret name can
// start with. Names hold letters, digits and /_+=.@- only; the API would
// also read a leading ! as "not", which a prefix must not mean.
func checkListPrefix(p string) error {
	if len(p) > maxListPrefix {
		return usageError("list: the prefix is %d bytes; the limit is %d", len(p), maxListPrefix)
	}
	for _, r := range p {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("/_+=.@-", r):
		default:
			return usageError("list: prefix %s: secret names hold only letters, digits and /_+=.@-", strconv.Quote(p))
		}
	}
	return nil
}

func runList(ctx context.Context, inv *invocation) error {
	var prefix string
	if len(inv.args) == 1 {
		prefix = inv.args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	sm, err := newStore(ctx, inv)
	if err != nil {
		return err
	}
	secrets, err := sm.List(ctx, prefix)
	if err != nil {
		return err
	}
	if inv.opts.listJSON {
		return writeListJSON(inv.stdout, secrets)
	}
	if len(secrets) == 0 {
		_, err := fmt.Fprintf(inv.stderr, "secretenv: no secret in %s has a name starting with %s\n", sm.ConfiguredRegion(), strconv.Quote(prefix))
		return err
	}
	return writeList(inv.stdout, secrets)
}

// writeList prints an aligned table. Names and descriptions are text that
// anyone with write access chose: control characters, invalid UTF-8 and
// invisible format characters (bidirectional overrides) are escaped, so a
// description cannot move the cursor, recolour the terminal or hide text.
func writeList(w io.Writer, secrets []store.ListedSecret) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLAST CHANGED\tDESCRIPTION")
	for _, s := range secrets {
		changed := "-"
		if s.LastChanged != nil {
			changed = s.LastChanged.Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.String(s.Name), changed, termsafe.String(s.Description))
	}
	tw.Flush()
	_, err := w.Write(buf.Bytes())
	return err
}

// writeListJSON prints one JSON array, for scripts, which people also read
// on a terminal: termsafe.JSON escapes what encoding/json leaves raw.
func writeListJSON(w io.Writer, secrets []store.ListedSecret) error {
	if secrets == nil {
		secrets = []store.ListedSecret{} // [] rather than null
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(secrets); err != nil {
		return fmt.Errorf("list: cannot encode JSON (%T)", err)
	}
	_, err := w.Write(termsafe.JSON(buf.Bytes()))
	return err
}
