package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// This file holds what a person sees when the command line is wrong or when
// they ask: the help command, each command's help (the text itself lives
// beside the command, in its usage and help fields), and the "did you mean"
// suggestions for a mistyped subcommand, flag or file name. None of it runs
// on the way to exec unless something already failed.

// helpCmd prints the global help, or one command's: `secretenv help CMD` is
// `secretenv CMD --help`.
var helpCmd = &command{
	name:  "help",
	usage: "help [COMMAND]",
	help: `Print the help of COMMAND, or without one, secretenv's own help (the
entrypoint's flags and the list of commands).

Examples:
  secretenv help
  secretenv help put
`,
}

// The help command's funcs are set here, not in its literal: they look the
// command table up, and the table holds helpCmd (an initialization cycle).
func init() {
	helpCmd.check = checkHelp
	helpCmd.run = runHelp
}

func checkHelp(o *options, args []string) error {
	switch {
	case len(args) > 1:
		return usageError("help takes one command name, got %d arguments", len(args))
	case len(args) == 1 && findCommand(args[0]) == nil:
		if near := nearestCommand(args[0]); near != "" {
			return fmt.Errorf("help: no command %q; did you mean %s?", args[0], near)
		}
		return usageError("help: no command %q; the commands are %s", args[0], commandNames())
	}
	return nil
}

func runHelp(ctx context.Context, inv *invocation) error {
	if len(inv.args) == 0 {
		_, err := io.WriteString(inv.stdout, globalHelp)
		return err
	}
	return writeCommandHelp(inv.stdout, findCommand(inv.args[0]))
}

// writeCommandHelp prints c's usage line, its help and a pointer to the
// flags every command takes.
func writeCommandHelp(w io.Writer, c *command) error {
	text := "Usage: secretenv " + c.usage + "\n\n" + c.help
	if c.name != "help" {
		text += commonFlagsNote
	}
	_, err := io.WriteString(w, text)
	return err
}

// commonFlagsNote ends every command's help: the common flags are listed
// once, in the global help, rather than copied into each command's.
const commonFlagsNote = `
secretenv's common flags (--secret-id, --region, --timeout, --verbose, ...)
apply too, before or after the command's word; 'secretenv --help' lists them.
`

// commandNames lists the subcommands for an error line.
func commandNames() string {
	return strings.Join(subcommandNames(), ", ")
}

// subcommandNames are the names of the command table, in its order.
func subcommandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// nearestCommand returns the subcommand one edit from word (a letter
// replaced, added, dropped, or two neighbours swapped), or "".
func nearestCommand(word string) string {
	return nearestName(word, subcommandNames())
}

// nearestName returns the first of names one edit from word, or "".
func nearestName(word string, names []string) string {
	for _, name := range names {
		if oneEdit(word, name) {
			return name
		}
	}
	return ""
}

// suggestCommand adds "did you mean CMD?" to err, the failure of running
// argv as a command, when argv[0] is one edit from a subcommand and is no
// program on PATH: then the person most likely mistyped the subcommand.
// A program of that name is never second-guessed.
func suggestCommand(err error, argv, env []string) error {
	if err == nil || len(argv) == 0 || strings.Contains(argv[0], "/") {
		return err
	}
	near := nearestCommand(argv[0])
	if near == "" {
		return err
	}
	if _, lerr := lookCommand(argv[0], env, nil); lerr == nil || !isNotFound(lerr) {
		return err // a program of that name exists (runnable or not)
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil {
		return &exitError{ee.code, fmt.Errorf("%w; did you mean %s?", ee.err, near)}
	}
	return fmt.Errorf("%w; did you mean %s?", err, near)
}

// isNotFound reports whether err is lookCommand's 127.
func isNotFound(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == exitNotFound
}

// oneEdit reports whether a and b differ by exactly one edit: a byte
// replaced, inserted or deleted, or two adjacent bytes swapped (the
// Damerau-Levenshtein distance 1). Equal strings are not one edit apart.
func oneEdit(a, b string) bool {
	if a == b || len(a) == 0 || len(b) == 0 {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true // replaced
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // swapped
	}
	return a[i:] == b[i+1:] // one inserted into a
}

// flagError rewrites an error of the flag package for a person: the flag as
// they typed it (--verbos, not -verbos), the nearest flag c knows, and for
// a duration what one looks like. Its hint points to c's own help.
func flagError(err error, args []string, fs *flag.FlagSet, c *command) error {
	msg := err.Error()
	see := "secretenv --help"
	if c != execCmd {
		see = "secretenv " + c.name + " --help"
	}
	name := ""
	switch {
	case cutPrefix(msg, "flag provided but not defined: -", &name):
		if near := nearestFlag(name, fs); near != "" {
			dashes := strings.TrimSuffix(typed(name, args), name) // -verbos: -verbose
			return fmt.Errorf("unknown flag %s; did you mean %s?", dashes+name, dashes+near)
		}
		return fmt.Errorf("unknown flag %s; see '%s'", typed(name, args), see)
	case cutPrefix(msg, "flag needs an argument: -", &name):
		return fmt.Errorf("%s needs a value; see '%s'", typed(name, args), see)
	case strings.HasPrefix(msg, "invalid value ") || strings.HasPrefix(msg, "invalid boolean value "):
		// invalid value "5" for flag -timeout: parse error
		// invalid boolean value "x" for -override: parse error
		var value string
		rest := msg[strings.Index(msg, "value ")+len("value "):]
		if q, after, ok := strings.Cut(rest, " for "); ok {
			value = q
			name, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimPrefix(after, "flag "), "-"), ":")
		}
		f := fs.Lookup(name)
		if f == nil {
			break
		}
		if g, ok := f.Value.(flag.Getter); ok {
			switch g.Get().(type) {
			case time.Duration:
				example := "30s or 2m"
				if isDigits(strings.Trim(value, `"`)) {
					example = strings.Trim(value, `"`) + "s" // what "5" most likely meant
				}
				return fmt.Errorf("%s %s is not a duration; write a duration such as %s", typed(name, args), value, example)
			case bool:
				return fmt.Errorf("%s=%s: want true or false", typed(name, args), value)
			}
		}
		return fmt.Errorf("%s %s: %s; see '%s'", typed(name, args), value, msg[strings.LastIndex(msg, ": ")+2:], see)
	}
	return fmt.Errorf("%s; see '%s'", msg, see)
}

// cutPrefix sets *rest to s after prefix and reports whether s had it.
func cutPrefix(s, prefix string, rest *string) bool {
	after, ok := strings.CutPrefix(s, prefix)
	if ok {
		*rest, _, _ = strings.Cut(after, "=")
	}
	return ok
}

// typed is the flag name with the dashes the person used for it: the flag
// package accepts one or two and reports one.
func typed(name string, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			return "--" + name
		}
		if a == "-"+name || strings.HasPrefix(a, "-"+name+"=") {
			return "-" + name
		}
	}
	return "--" + name
}

// nearestFlag returns a flag of fs one edit from name, or "".
func nearestFlag(name string, fs *flag.FlagSet) string {
	near := ""
	fs.VisitAll(func(f *flag.Flag) {
		if near == "" && oneEdit(name, f.Name) {
			near = f.Name
		}
	})
	return near
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// nearestFile returns a file in path's directory whose name is one edit from
// path's, as the person would write it, or "".
func nearestFile(path string) string {
	dir, base := filepath.Split(path)
	entries, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if oneEdit(base, e.Name()) {
			return dir + e.Name()
		}
	}
	return ""
}
