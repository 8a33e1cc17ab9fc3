package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/secretenv/secretenv/internal/dotenv"
	"github.com/secretenv/secretenv/internal/keys"
	"github.com/secretenv/secretenv/internal/termsafe"
)

// exportCmd prints the variables secretenv would set, in one of
// exportFormats. It is the one command that prints secret values.
var exportCmd = &command{
	name:  "export",
	usage: "[flags] export [--format dotenv|env-file|shell|json]",
	help: `Print the variables secretenv would set, sorted by name, in a file
format: what the command would see, for a local run or a CI job. This is
the one command that prints secret values; it checks --require and
--require-from as the entrypoint does.

Flags:
  --format F   dotenv (default; what Compose's env_file reads), env-file
               (docker run --env-file), shell (export NAME='v' lines to
               source) or json

Examples:
  SECRET_ID=myapp/dev secretenv export > .env
  eval "$(SECRET_ID=myapp/dev secretenv export --format shell)"
  secretenv --secret-id myapp/prod export --format json | jq keys
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.format, "format", "dotenv", "")
	},
	check: func(o *options, args []string) error {
		if len(args) > 0 {
			return usageError("export takes no arguments, got %q", args[0])
		}
		if !exportFormats[o.format] {
			return usageError("unknown export format %q; use dotenv, env-file, shell or json", o.format)
		}
		return nil
	},
	run: func(ctx context.Context, inv *invocation) error {
		res, err := loadUntilStopped(ctx, inv)
		if err != nil {
			return err
		}
		return writeExport(inv.stdout, res, inv.opts.format)
	},
}

// exportFormats are the formats of secretenv export.
var exportFormats = map[string]bool{"dotenv": true, "env-file": true, "shell": true, "json": true}

// writeExport prints the variables secretenv sets, sorted by name, in format.
// The whole output is built before anything is written, so a value the
// format cannot carry leaves stdout empty rather than holding half a file.
func writeExport(w io.Writer, res mergeResult, format string) error {
	vals := setValues(res)
	var out []byte
	if format == "json" {
		var err error
		if out, err = exportJSON(vals); err != nil {
			return err
		}
	} else {
		line := map[string]func(name, value string) (string, error){
			"dotenv":   dotenv.Line,
			"env-file": envFileLine,
			"shell":    shellLine,
		}[format]
		if line == nil {
			return fmt.Errorf("export: unknown format %q; use dotenv, env-file, shell or json", format)
		}
		if format == "shell" {
			if owned := shellOwned(vals); len(owned) > 0 {
				return fmt.Errorf("export: %s cannot be set by sourcing a file: the shell owns them (read-only or replaced); use --format dotenv or json", strings.Join(owned, ", "))
			}
		}
		var b strings.Builder
		for _, name := range sortedKeys(vals) {
			if !keys.Valid(name) {
				return fmt.Errorf("export: variable name %s cannot be written as %s; use --format json", keys.QuoteName(name), format)
			}
			l, err := line(name, vals[name])
			if err != nil {
				return fmt.Errorf("export: %s: %w", name, err)
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		out = []byte(b.String())
	}
	_, err := w.Write(out)
	return err
}

// setValues returns the final value of each name secretenv set.
func setValues(res mergeResult) map[string]string {
	vals := make(map[string]string, len(res.Set))
	for _, kv := range res.Env {
		name, value, _ := strings.Cut(kv, "=")
		if _, ok := res.Set[name]; ok {
			vals[name] = value
		}
	}
	return vals
}

// envFileLine writes NAME=value for docker run --env-file, which takes the
// rest of each line literally: no quoting exists, so a line break cannot be
// carried (its reader splits lines and drops a trailing \r), and it refuses
// a file that is not UTF-8. Its reader is a bufio.Scanner, so a line longer
// than maxEnvFileLine fails the whole file. Recent docker releases strip
// one pair of matching quotes around a value and older ones keep them, so
// such a value would reach the app differently by version: refuse it too.
func envFileLine(name, value string) (string, error) {
	switch {
	case strings.ContainsAny(value, "\n\r"):
		return "", fmt.Errorf("the value contains a line break, which docker's --env-file cannot carry; use --format dotenv, shell or json")
	case !utf8.ValidString(value):
		return "", fmt.Errorf("the value is not valid UTF-8, which docker's --env-file refuses; use --format shell")
	case len(name)+1+len(value) > maxEnvFileLine:
		return "", fmt.Errorf("the line is %d bytes, over the %d docker's --env-file reads; use --format dotenv, shell or json", len(name)+1+len(value), maxEnvFileLine)
	case len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0]:
		return "", fmt.Errorf("the value starts and ends with a quote, which some docker releases strip from --env-file values; use --format dotenv, shell or json")
	}
	return name + "=" + value, nil
}

// maxEnvFileLine is the longest line, without its newline, that docker's
// --env-file reader (bufio.Scanner's default buffer) accepts.
const maxEnvFileLine = 64<<10 - 1

// shellLine writes a POSIX sh assignment: inside single quotes every byte is
// literal, so only the quote itself needs care: it is written as a closing
// quote, a backslash-escaped quote and an opening quote. The line is safe for
// eval and for set -a; . FILE.
func shellLine(name, value string) (string, error) {
	return "export " + name + "='" + strings.ReplaceAll(value, "'", `'\''`) + "'", nil
}

// shellOwnedNames are the variables a sourced `export NAME='v'` line cannot
// set to v, found by sourcing such a line followed by one more in bash 5.2
// (as bash and as sh, --posix), and dash 0.5.12 and reading the environment
// the shell hands on. They are bash(1)'s "Shell Variables" that are
// read-only (BASHOPTS, BASH_VERSINFO, EUID, PPID, SHELLOPTS, UID: bash --posix
// stops the file there, plain bash skips the line), or that bash keeps
// recomputing or resets (_, BASHPID, BASH_ALIASES, BASH_ARGC, BASH_ARGV,
// BASH_CMDS, BASH_COMMAND, BASH_LINENO, BASH_SOURCE, BASH_SUBSHELL, DIRSTACK,
// EPOCHREALTIME, EPOCHSECONDS, FUNCNAME, GROUPS, HISTCMD, LINENO, PIPESTATUS,
// RANDOM, SECONDS, SHLVL, SRANDOM), and OPTIND, which dash(1) requires to be
// a number ("Illegal number" ends the file, setting none of the later
// lines). Variables a shell only reads (IFS, PS1-PS4, PATH, HOME) keep the
// value they are given, so they are not here.
var shellOwnedNames = map[string]bool{
	"_": true, "BASHOPTS": true, "BASHPID": true, "BASH_ALIASES": true, "BASH_ARGC": true,
	"BASH_ARGV": true, "BASH_CMDS": true, "BASH_COMMAND": true, "BASH_LINENO": true,
	"BASH_SOURCE": true, "BASH_SUBSHELL": true, "BASH_VERSINFO": true, "DIRSTACK": true,
	"EPOCHREALTIME": true, "EPOCHSECONDS": true, "EUID": true, "FUNCNAME": true, "GROUPS": true,
	"HISTCMD": true, "LINENO": true, "OPTIND": true, "PIPESTATUS": true, "PPID": true,
	"RANDOM": true, "SECONDS": true, "SHELLOPTS": true, "SHLVL": true, "SRANDOM": true, "UID": true,
}

// shellOwned returns, sorted, the names of vals that a sourced shell file
// cannot set: all of them, so that one message says everything to rename.
func shellOwned(vals map[string]string) []string {
	var owned []string
	for _, name := range sortedKeys(vals) {
		if shellOwnedNames[name] {
			owned = append(owned, name)
		}
	}
	return owned
}

// exportJSON writes one JSON object with keys sorted. encoding/json would
// silently turn invalid UTF-8 into U+FFFD, changing the value, so such a
// value is an error instead.
func exportJSON(vals map[string]string) ([]byte, error) {
	for _, name := range sortedKeys(vals) {
		if !utf8.ValidString(vals[name]) {
			return nil, fmt.Errorf("export: %s: the value is not valid UTF-8, which JSON cannot carry exactly; use --format shell", name)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // <, > and & stay readable; JSON does not need them escaped
	enc.SetIndent("", "  ")
	if err := enc.Encode(vals); err != nil {
		return nil, fmt.Errorf("export: cannot encode JSON (%T)", err) // not err itself: it may quote a value
	}
	return termsafe.JSON(buf.Bytes()), nil // the same strings, no raw C1 control or bidi override
}
