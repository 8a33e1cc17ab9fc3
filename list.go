package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// listCmd prints the secrets of a region whose names start with PREFIX,
// sorted by name, with their last-changed date and description. It never
// asks for a value: ListSecrets returns none.
var listCmd = &command{
	name: "list",
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

// listPageSize is ListSecrets' MaxResults: 100 is the most the API returns
// in one page, so the fewest round trips under the deadline.
const listPageSize = 100

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

// listedSecret is one line of list, and one object of list --json.
type listedSecret struct {
	Name        string     `json:"name"`
	ARN         string     `json:"arn"`
	Description string     `json:"description,omitempty"`
	LastChanged *time.Time `json:"lastChanged,omitempty"`
}

func runList(ctx context.Context, inv *invocation) error {
	var prefix string
	if len(inv.args) == 1 {
		prefix = inv.args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	store, err := newCheckedStore(ctx, inv.opts, inv.environ, inv.log)
	if err != nil {
		return err
	}
	region := store.cfg.Region
	if region == "" {
		return errors.New("list: no AWS region configured; set AWS_REGION or pass --region")
	}
	start := time.Now()
	secrets, err := listSecrets(ctx, store.client(region), prefix)
	inv.log.Debug("listed secrets", "region", region, "prefix", prefix, "count", len(secrets), "duration", time.Since(start).Round(time.Millisecond), "ok", err == nil)
	if err != nil {
		return describeListError(ctx, region, inv.opts.timeout, err)
	}
	if inv.opts.listJSON {
		return writeListJSON(inv.stdout, secrets)
	}
	if len(secrets) == 0 {
		_, err := fmt.Fprintf(inv.stderr, "secretenv: no secret in %s has a name starting with %s\n", region, strconv.Quote(prefix))
		return err
	}
	return writeList(inv.stdout, secrets)
}

// listSecrets reads every page of ListSecrets with a name-prefix filter and
// returns the secrets sorted by name. The deadline on ctx bounds the pages
// as it bounds a fetch.
func listSecrets(ctx context.Context, client *secretsmanager.Client, prefix string) ([]listedSecret, error) {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(listPageSize)}
	if prefix != "" {
		in.Filters = []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{prefix}}}
	}
	var out []listedSecret
	pages := secretsmanager.NewListSecretsPaginator(client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.SecretList {
			s := listedSecret{Name: aws.ToString(e.Name), ARN: aws.ToString(e.ARN), Description: aws.ToString(e.Description), LastChanged: e.LastChangedDate}
			if s.LastChanged == nil {
				s.LastChanged = e.CreatedDate // a secret never changed since it was created
			}
			if s.LastChanged != nil {
				t := s.LastChanged.UTC()
				s.LastChanged = &t
			}
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b listedSecret) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// writeList prints an aligned table. Names and descriptions are text that
// anyone with write access chose: control characters, invalid UTF-8 and
// invisible format characters (bidirectional overrides) are escaped, so a
// description cannot move the cursor, recolour the terminal or hide text.
func writeList(w io.Writer, secrets []listedSecret) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLAST CHANGED\tDESCRIPTION")
	for _, s := range secrets {
		changed := "-"
		if s.LastChanged != nil {
			changed = s.LastChanged.Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", terminalSafe(s.Name), changed, terminalSafe(s.Description))
	}
	tw.Flush()
	_, err := w.Write(buf.Bytes())
	return err
}

// writeListJSON prints one JSON array, for scripts, which people also read
// on a terminal: jsonTerminalSafe escapes what encoding/json leaves raw.
func writeListJSON(w io.Writer, secrets []listedSecret) error {
	if secrets == nil {
		secrets = []listedSecret{} // [] rather than null
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(secrets); err != nil {
		return fmt.Errorf("list: cannot encode JSON (%T)", err)
	}
	_, err := w.Write(jsonTerminalSafe(buf.Bytes()))
	return err
}

// terminalSafe returns s with every rune a terminal could act on escaped as
// Go does in a quoted string (\t, \x1b, \u202e), and each byte that is not
// UTF-8 as \xNN. Printable text, spaces included, is kept as it is.
func terminalSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r) || r == ' ':
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// jsonTerminalSafe rewrites, in the output of encoding/json, every rune
// terminalSafe would escape as a JSON \u escape. encoding/json escapes C0
// controls, U+2028 and U+2029 but leaves C1 controls (U+009B is a CSI, which
// a terminal obeys like ESC [) and format characters such as the bidi
// override U+202E raw. Outside strings JSON is ASCII, so every such rune is
// inside a string, where \u is the same text to any reader.
func jsonTerminalSafe(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// encoding/json writes U+FFFD for invalid UTF-8; kept raw if
			// ever reached rather than turned into a different character.
			out = append(out, b[i])
		case r < utf8.RuneSelf || unicode.IsPrint(r):
			out = append(out, b[i:i+size]...)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

// describeListError turns a ListSecrets failure into one line naming the
// region, the AWS error code and what to do (awsRequest.describe).
func describeListError(ctx context.Context, region string, timeout time.Duration, err error) error {
	return awsRequest{
		subject:     "ListSecrets in " + region,
		service:     "Secrets Manager",
		endpointVar: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
		op:          "ListSecrets",
		region:      region,
		timeout:     timeout,
		codes: func(code string) string {
			if code == "AccessDeniedException" {
				return fmt.Sprintf("access denied (%s); listing needs secretsmanager:ListSecrets on resource *", code)
			}
			return ""
		},
		unanswered: "the request to Secrets Manager failed without an answer",
	}.describe(ctx, err)
}
