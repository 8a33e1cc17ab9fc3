package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// update rewrites the golden files: go test -run 'TestHelp|TestCommandHelp' -update
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestParseArgs(t *testing.T) {
	t.Parallel()
	defaults := options{references: true, timeout: 30 * time.Second}
	with := func(f func(*options)) options {
		o := defaults
		f(&o)
		return o
	}
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    options
		sub     string
		cmd     []string
	}{
		{"command after --", []string{"--", "env"}, nil, defaults, "", []string{"env"}},
		{"command without --", []string{"env", "-0"}, nil, defaults, "", []string{"env", "-0"}},
		{"a program named export after -- is a command", []string{"--", "export", "A=1"}, nil, defaults, "", []string{"export", "A=1"}},
		{"a program named check after -- is a command", []string{"--override", "--", "check"}, nil, with(func(o *options) { o.override = true }), "", []string{"check"}},
		{"export is a subcommand", []string{"export"}, nil, with(func(o *options) { o.format = "dotenv" }), "export", nil},
		{"check is a subcommand", []string{"check"}, nil, defaults, "check", nil},
		{"export format after the word", []string{"export", "--format", "json"}, nil, with(func(o *options) { o.format = "json" }), "export", nil},
		{"export format before the word", []string{"--format=shell", "export"}, nil, with(func(o *options) { o.format = "shell" }), "export", nil},
		{"export format value before the word", []string{"--format", "json", "export", "--override"}, nil, with(func(o *options) { o.format = "json"; o.override = true }), "export", nil},
		{"flags after the subcommand", []string{"check", "--override"}, nil, with(func(o *options) { o.override = true }), "check", nil},
		{"argv kept exactly, literal -- included", []string{"--", "sh", "-c", `echo "$@"`, "--", "", "-x", "--"}, nil, defaults, "", []string{"sh", "-c", `echo "$@"`, "--", "", "-x", "--"}},
		{"-- as the command's first word", []string{"--", "--", "x"}, nil, defaults, "", []string{"--", "x"}},
		{"flags after the command belong to it", []string{"env", "--override", "--secret-id", "x"}, nil, defaults, "", []string{"env", "--override", "--secret-id", "x"}},
		{"secret ids repeat in order", []string{"--secret-id", "a", "--secret-id=b", "--", "true"}, nil, with(func(o *options) { o.secretIDs = []string{"a", "b"} }), "", []string{"true"}},
		{"SECRET_ID comma list", []string{"true"}, []string{"SECRET_ID=common,prod,arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}, with(func(o *options) {
			o.secretIDs = []string{"common", "prod", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}
		}), "", []string{"true"}},
		{"SECRET_ID empty entries kept for load to refuse", []string{"true"}, []string{"SECRET_ID=a,,b"}, with(func(o *options) { o.secretIDs = []string{"a", "", "b"} }), "", []string{"true"}},
		{"flag beats SECRET_ID", []string{"--secret-id", "flag", "true"}, []string{"SECRET_ID=env"}, with(func(o *options) { o.secretIDs = []string{"flag"} }), "", []string{"true"}},
		{"AWS_REGION", []string{"true"}, []string{"AWS_DEFAULT_REGION=eu-west-1", "AWS_REGION=us-west-2"}, with(func(o *options) { o.region = "us-west-2" }), "", []string{"true"}},
		{"AWS_DEFAULT_REGION when AWS_REGION is empty", []string{"true"}, []string{"AWS_REGION=", "AWS_DEFAULT_REGION=eu-west-1"}, with(func(o *options) { o.region = "eu-west-1" }), "", []string{"true"}},
		{"--region beats AWS_REGION", []string{"--region", "ap-south-1", "true"}, []string{"AWS_REGION=us-west-2"}, with(func(o *options) { o.region = "ap-south-1" }), "", []string{"true"}},
		{"SECRETENV_OVERRIDE", []string{"true"}, []string{"SECRETENV_OVERRIDE=true"}, with(func(o *options) { o.override = true }), "", []string{"true"}},
		{"SECRETENV_OVERRIDE=1", []string{"true"}, []string{"SECRETENV_OVERRIDE=1"}, with(func(o *options) { o.override = true }), "", []string{"true"}},
		{"--override=false beats SECRETENV_OVERRIDE", []string{"--override=false", "true"}, []string{"SECRETENV_OVERRIDE=true"}, defaults, "", []string{"true"}},
		{"SECRETENV_ALLOW_KEYS", []string{"true"}, []string{"SECRETENV_ALLOW_KEYS=LD_PRELOAD,NODE_OPTIONS"}, with(func(o *options) { o.allowKeys = []string{"LD_PRELOAD", "NODE_OPTIONS"} }), "", []string{"true"}},
		{"--allow-key beats SECRETENV_ALLOW_KEYS", []string{"--allow-key", "PYTHONPATH", "true"}, []string{"SECRETENV_ALLOW_KEYS=LD_PRELOAD"}, with(func(o *options) { o.allowKeys = []string{"PYTHONPATH"} }), "", []string{"true"}},
		{"--only-key repeats", []string{"--only-key", "A", "--only-key=B", "true"}, nil, with(func(o *options) { o.onlyKeys = []string{"A", "B"} }), "", []string{"true"}},
		{"SECRETENV_ONLY_KEYS", []string{"true"}, []string{"SECRETENV_ONLY_KEYS=A,B"}, with(func(o *options) { o.onlyKeys = []string{"A", "B"} }), "", []string{"true"}},
		{"--only-key beats SECRETENV_ONLY_KEYS", []string{"--only-key", "C", "true"}, []string{"SECRETENV_ONLY_KEYS=A,B"}, with(func(o *options) { o.onlyKeys = []string{"C"} }), "", []string{"true"}},
		{"SECRETENV_ONLY_KEYS_FROM", []string{"check"}, []string{"SECRETENV_ONLY_KEYS_FROM=.env.example"}, with(func(o *options) { o.onlyFrom = ".env.example" }), "check", nil},
		{"--only-keys-from after the subcommand beats its twin", []string{"check", "--only-keys-from", "t.json"}, []string{"SECRETENV_ONLY_KEYS_FROM=.env.example"}, with(func(o *options) { o.onlyFrom = "t.json" }), "check", nil},
		{"--only-key with --only-keys-from", []string{"--only-key", "A", "--only-keys-from", "t.json", "true"}, nil, with(func(o *options) { o.onlyKeys = []string{"A"}; o.onlyFrom = "t.json" }), "", []string{"true"}},
		{"--no-references", []string{"--no-references", "true"}, nil, with(func(o *options) { o.references = false }), "", []string{"true"}},
		{"SECRETENV_REFERENCES=false", []string{"true"}, []string{"SECRETENV_REFERENCES=false"}, with(func(o *options) { o.references = false }), "", []string{"true"}},
		{"--no-references beats SECRETENV_REFERENCES=true", []string{"--no-references", "true"}, []string{"SECRETENV_REFERENCES=true"}, with(func(o *options) { o.references = false }), "", []string{"true"}},
		{"--no-references=false beats SECRETENV_REFERENCES=false", []string{"--no-references=false", "true"}, []string{"SECRETENV_REFERENCES=false"}, defaults, "", []string{"true"}},
		{"SECRETENV_TIMEOUT", []string{"true"}, []string{"SECRETENV_TIMEOUT=2m"}, with(func(o *options) { o.timeout = 2 * time.Minute }), "", []string{"true"}},
		{"--timeout beats SECRETENV_TIMEOUT", []string{"--timeout", "5s", "true"}, []string{"SECRETENV_TIMEOUT=2m"}, with(func(o *options) { o.timeout = 5 * time.Second }), "", []string{"true"}},
		{"SECRETENV_LOG=debug", []string{"true"}, []string{"SECRETENV_LOG=debug"}, with(func(o *options) { o.verbose = true }), "", []string{"true"}},
		{"SECRETENV_LOG=info is quiet", []string{"true"}, []string{"SECRETENV_LOG=info"}, defaults, "", []string{"true"}},
		{"--verbose=false beats SECRETENV_LOG=debug", []string{"--verbose=false", "true"}, []string{"SECRETENV_LOG=debug"}, defaults, "", []string{"true"}},
		{"--require repeats", []string{"--require", "A", "--require=B", "true"}, nil, with(func(o *options) { o.require = []string{"A", "B"} }), "", []string{"true"}},
		{"SECRETENV_REQUIRE", []string{"check"}, []string{"SECRETENV_REQUIRE=A,B"}, with(func(o *options) { o.require = []string{"A", "B"} }), "check", nil},
		{"--require beats SECRETENV_REQUIRE", []string{"--require", "C", "true"}, []string{"SECRETENV_REQUIRE=A,B"}, with(func(o *options) { o.require = []string{"C"} }), "", []string{"true"}},
		{"--require-from after check", []string{"check", "--require-from", ".env.example"}, nil, with(func(o *options) { o.requireFrom = ".env.example" }), "check", nil},
		{"--require-from beats its twin", []string{"--require-from", "t.json", "true"}, []string{"SECRETENV_REQUIRE_FROM=.env.example"}, with(func(o *options) { o.requireFrom = "t.json" }), "", []string{"true"}},
		{"SECRETENV_REQUIRE_FROM", []string{"true"}, []string{"SECRETENV_REQUIRE_FROM=.env.example"}, with(func(o *options) { o.requireFrom = ".env.example" }), "", []string{"true"}},
		{"diff flags after its arguments", []string{"diff", "a", "b", "--keys"}, nil, with(func(o *options) { o.keysOnly = true }), "diff", []string{"a", "b"}},
		{"diff flags before its arguments", []string{"diff", "--show-values", "a", "b"}, nil, with(func(o *options) { o.showValues = true }), "diff", []string{"a", "b"}},
		{"diff flag before the word", []string{"--keys", "diff", "a", "b"}, nil, with(func(o *options) { o.keysOnly = true }), "diff", []string{"a", "b"}},
		{"list", []string{"list"}, nil, defaults, "list", nil},
		{"list a prefix as JSON", []string{"list", "myapp/", "--json"}, nil, with(func(o *options) { o.listJSON = true }), "list", []string{"myapp/"}},
		{"first environment entry wins", []string{"true"}, []string{"SECRET_ID=first", "SECRET_ID=second"}, with(func(o *options) { o.secretIDs = []string{"first"} }), "", []string{"true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout bytes.Buffer
			args := slices.Clone(tc.args)
			c, opts, cmd, err := parseArgs(args, tc.environ, &stdout)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tc.args, err)
			}
			sub := c.name
			if !slices.Equal(args, tc.args) {
				t.Errorf("parseArgs changed its argument to %q", args)
			}
			if sub != tc.sub || !slices.Equal(cmd, tc.cmd) {
				t.Errorf("parseArgs(%q) = sub %q, cmd %q; want %q, %q", tc.args, sub, cmd, tc.sub, tc.cmd)
			}
			if !equalOptions(opts, tc.want) {
				t.Errorf("options = %+v\nwant      %+v", opts, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("parseArgs wrote %q to stdout", stdout.String())
			}
		})
	}
}

func equalOptions(a, b options) bool {
	return slices.Equal(a.secretIDs, b.secretIDs) && slices.Equal(a.allowKeys, b.allowKeys) &&
		slices.Equal(a.onlyKeys, b.onlyKeys) && a.onlyFrom == b.onlyFrom &&
		a.region == b.region && a.override == b.override && a.references == b.references &&
		a.timeout == b.timeout && a.verbose == b.verbose && a.format == b.format &&
		slices.Equal(a.require, b.require) && a.requireFrom == b.requireFrom &&
		a.keysOnly == b.keysOnly && a.showValues == b.showValues && a.listJSON == b.listJSON
}

func TestParseArgsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"no arguments", nil, nil, "no command given"},
		{"flags only", []string{"--override"}, nil, "no command given"},
		{"-- alone", []string{"--"}, nil, "no command after --"},
		{"unknown flag", []string{"--nope", "true"}, nil, "unknown flag --nope; see 'secretenv --help'"},
		{"flag without its value", []string{"--secret-id"}, nil, "--secret-id needs a value"},
		{"bad --timeout", []string{"--timeout", "soon", "true"}, nil, `--timeout "soon" is not a duration`},
		{"zero --timeout", []string{"--timeout", "0s", "true"}, nil, "timeout 0s must be positive"},
		{"negative SECRETENV_TIMEOUT", []string{"true"}, []string{"SECRETENV_TIMEOUT=-1s"}, "timeout -1s must be positive"},
		{"SECRETENV_TIMEOUT without a unit", []string{"true"}, []string{"SECRETENV_TIMEOUT=30"}, `SECRETENV_TIMEOUT="30" is not a duration such as 30s or 2m`},
		{"bad SECRETENV_OVERRIDE", []string{"true"}, []string{"SECRETENV_OVERRIDE=yes"}, `SECRETENV_OVERRIDE="yes" is not true or false`},
		{"bad SECRETENV_REFERENCES", []string{"true"}, []string{"SECRETENV_REFERENCES=off"}, `SECRETENV_REFERENCES="off" is not true or false`},
		{"bad SECRETENV_LOG", []string{"true"}, []string{"SECRETENV_LOG=trace"}, `SECRETENV_LOG="trace" is not debug, info, warn or error`},
		{"empty --only-keys-from", []string{"--only-keys-from=", "true"}, nil, "--only-keys-from needs a file name"},
		{"export with an argument", []string{"export", "extra"}, nil, `export takes no arguments, got "extra"`},
		{"export with a command after --", []string{"export", "--", "env"}, nil, `export takes no arguments, got "env"`},
		{"check with an argument", []string{"check", "now"}, nil, `check takes no arguments, got "now"`},
		{"unknown export format", []string{"export", "--format", "yaml"}, nil, `unknown export format "yaml"; use dotenv, env-file, shell or json`},
		{"diff with one argument", []string{"diff", "a"}, nil, "diff takes two arguments, A and B, each a secret id or a file; got 1"},
		{"diff with three arguments", []string{"diff", "a", "b", "c"}, nil, "got 3"},
		{"diff stdin twice", []string{"diff", "-", "-"}, nil, "diff reads stdin (-) for one side only"},
		{"diff --keys --show-values", []string{"diff", "a", "b", "--keys", "--show-values"}, nil, "--show-values has nothing to show"},
		{"list with two prefixes", []string{"list", "a", "b"}, nil, "list takes at most one argument, a name prefix; got 2"},
		{"list prefix with a space", []string{"list", "my app"}, nil, `list: prefix "my app": secret names hold only letters, digits and /_+=.@-`},
		{"list prefix negated", []string{"list", "!myapp"}, nil, `list: prefix "!myapp"`},
		{"list prefix too long", []string{"list", strings.Repeat("a", 513)}, nil, "list: the prefix is 513 bytes; the limit is 512"},
		{"--require-from without a name", []string{"--require-from=", "true"}, nil, "--require-from needs a file name"},
		{"a subcommand's flag before a command", []string{"--format", "json", "--", "env"}, nil, "unknown flag --format; see 'secretenv --help'"},
		{"a subcommand's flag on another", []string{"check", "--format", "json"}, nil, "unknown flag --format; see 'secretenv check --help'"},
		{"a mistyped flag", []string{"--verbos", "--", "env"}, nil, "unknown flag --verbos; did you mean --verbose?"},
		{"a mistyped flag with one dash", []string{"check", "-verbos"}, nil, "unknown flag -verbos; did you mean -verbose?"},
		{"a swapped flag", []string{"put", "x", "--form", "f"}, nil, "unknown flag --form; did you mean --from?"},
		{"a duration without a unit", []string{"--timeout", "5", "--", "env"}, nil, `--timeout "5" is not a duration; write a duration such as 5s`},
		{"a duration with =", []string{"--timeout=5", "--", "env"}, nil, `--timeout "5" is not a duration; write a duration such as 5s`},
		{"a bad watch interval", []string{"--watch-interval", "soon", "--", "env"}, nil, `--watch-interval "soon" is not a duration; write a duration such as 30s or 2m`},
		{"a bad stop timeout", []string{"--stop-timeout", "10", "--", "env"}, nil, `--stop-timeout "10" is not a duration; write a duration such as 10s`},
		{"a bad boolean", []string{"--override=maybe", "--", "env"}, nil, `--override="maybe": want true or false`},
		{"a flag without its value", []string{"check", "--timeout"}, nil, "--timeout needs a value; see 'secretenv check --help'"},
		{"help for no command", []string{"help", "lsit"}, nil, `help: no command "lsit"; did you mean list?`},
		{"help for two commands", []string{"help", "list", "put"}, nil, "help takes one command name, got 2 arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout bytes.Buffer
			_, _, _, err := parseArgs(tc.args, tc.environ, &stdout)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseArgs(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
			if stdout.Len() != 0 {
				t.Errorf("parseArgs wrote %q to stdout", stdout.String())
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"--override", "--help", "env"}, {"--help", "export"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, nil, nil, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q): %v", args, err)
			}
			checkGolden(t, "help.golden", stdout.String())
			if stderr.Len() != 0 {
				t.Errorf("--help wrote %q to stderr", stderr.String())
			}
		})
	}
}

// TestCommandHelp checks that every command, the ones added later too, has
// its own help, the same by `CMD --help`, `CMD -h` and `help CMD`.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			if c.usage == "" || c.help == "" {
				t.Fatalf("command %s has no usage or help text", c.name)
			}
			for _, args := range [][]string{{c.name, "--help"}, {"--verbose", c.name, "-h"}, {"help", c.name}} {
				var stdout, stderr bytes.Buffer
				if err := run(context.Background(), args, nil, nil, &stdout, &stderr); err != nil {
					t.Fatalf("run(%q): %v", args, err)
				}
				checkGolden(t, "help-"+c.name+".golden", stdout.String())
				if stderr.Len() != 0 {
					t.Errorf("%q wrote %q to stderr", args, stderr.String())
				}
				for i, line := range strings.Split(stdout.String(), "\n") {
					if len(line) > 80 {
						t.Errorf("%q: line %d is %d columns, over 80", args, i+1, len(line))
					}
				}
			}
		})
	}
}

func TestOneEdit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		want       bool
	}{
		{"same", "check", "check", false},
		{"one replaced", "chek", "check", true},
		{"one dropped", "lst", "list", true},
		{"one added", "listt", "list", true},
		{"neighbours swapped", "lsit", "list", true},
		{"last two swapped", "chekc", "check", true},
		{"first replaced", "xist", "list", true},
		{"two apart", "lt", "list", false},
		{"two replaced", "lxxt", "list", false},
		{"far swap", "tisl", "list", false},
		{"empty", "", "a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := oneEdit(tc.a, tc.b); got != tc.want {
				t.Errorf("oneEdit(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := oneEdit(tc.b, tc.a); got != tc.want {
				t.Errorf("oneEdit(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

// checkGolden compares got with testdata/name, or rewrites the file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run 'TestHelp|TestCommandHelp' -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -run 'TestHelp|TestCommandHelp' -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestVersion(t *testing.T) {
	// Not parallel: it sets the package's version variable.
	old := version
	t.Cleanup(func() { version = old })
	for _, tc := range []struct{ stamped, want string }{
		{"v1.2.3", "secretenv v1.2.3\n"},
		{"", "secretenv " + versionString() + "\n"},
	} {
		version = tc.stamped
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"--version", "--", "env"}, nil, nil, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		if stdout.String() != tc.want || stderr.Len() != 0 {
			t.Errorf("--version with version %q printed %q (stderr %q), want %q", tc.stamped, stdout.String(), stderr.String(), tc.want)
		}
	}
	version = ""
	if v := versionString(); v == "" {
		t.Error("versionString is empty without a stamped version")
	}
}

// TestRunFailsBeforeExec covers run's failures that need no AWS: each returns
// an error for report to print, writes nothing to stdout and never reaches
// execCommand.
func TestRunFailsBeforeExec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"usage", []string{"--bogus"}, nil, "see 'secretenv --help'"},
		{"no command", []string{"--override"}, nil, "no command given"},
		{"no SECRET_ID", []string{"--", "true"}, []string{"PATH=/bin"}, "no secret to load: set SECRET_ID or pass --secret-id"},
		{"empty SECRET_ID means none", []string{"--", "true"}, []string{"SECRET_ID="}, "no secret to load"},
		{"no SECRET_ID for export", []string{"export"}, nil, "no secret to load"},
		{"no SECRET_ID for check", []string{"check"}, nil, "no secret to load"},
		{"references off", []string{"--no-references", "--", "true"}, []string{"DB=" + testARN}, "no secret to load"},
		{"empty entry in SECRET_ID", []string{"--", "true"}, []string{"SECRET_ID=a,,b"}, "SECRET_ID: empty secret id"},
		{"control character in SECRET_ID", []string{"--", "true"}, []string{"SECRET_ID=a\tb"}, "SECRET_ID: secret id \"a\\tb\" contains a space or control character"},
		{"malformed ARN in SECRET_ID", []string{"--", "true"}, []string{"SECRET_ID=arn:aws:secretsmanager:us-east-1:1:secret:x"}, "SECRET_ID: malformed ARN"},
		{"malformed reference", []string{"--", "true"}, []string{"DB=arn:aws:secretsmanager:oops"}, "DB: malformed ARN"},
		{"bad SECRETENV_TIMEOUT", []string{"--", "true"}, []string{"SECRET_ID=a", "SECRETENV_TIMEOUT=forever"}, "SECRETENV_TIMEOUT"},
		{"bad allow-key", []string{"--allow-key", "LD_*", "--", "true"}, []string{"SECRET_ID=a"}, "--allow-key"},
		{"--only-keys-from stdin", []string{"--only-keys-from", "-", "--", "true"}, []string{"SECRET_ID=a"}, "--only-keys-from needs a file; stdin is the command's"},
		{"SECRETENV_ONLY_KEYS_FROM stdin", []string{"--", "true"}, []string{"SECRET_ID=a", "SECRETENV_ONLY_KEYS_FROM=-"}, "--only-keys-from needs a file; stdin is the command's"},
		{"--require-from stdin", []string{"--require-from", "-", "check"}, []string{"SECRET_ID=a"}, "--require-from needs a file; stdin is the command's"},
		{"SECRETENV_REQUIRE_FROM stdin", []string{"--", "true"}, []string{"SECRET_ID=a", "SECRETENV_REQUIRE_FROM=-"}, "--require-from needs a file; stdin is the command's"},
		{"bad --require, before any request", []string{"--require", "DB-URL", "--", "true"}, []string{"SECRET_ID=a"}, `--require "DB-URL" is not a variable name`},
		{"empty SECRETENV_REQUIRE entry", []string{"--", "true"}, []string{"SECRET_ID=a", "SECRETENV_REQUIRE=A,,B"}, `--require "" is not a variable name`},
		{"missing --require-from file", []string{"check", "--require-from", "/nonexistent/.env.example"}, []string{"SECRET_ID=a"}, "--require-from /nonexistent/.env.example: no such file"},
		{"bad only-key", []string{"--only-key", "A-B", "--", "true"}, []string{"SECRET_ID=a"}, `--only-key "A-B" is not a variable name`},
		{"empty SECRETENV_ONLY_KEYS entry", []string{"--", "true"}, []string{"SECRET_ID=a", "SECRETENV_ONLY_KEYS=A,,B"}, `--only-key ""`},
		{"missing --only-keys-from", []string{"--only-keys-from", "/nonexistent/.env.example", "check"}, []string{"SECRET_ID=a"}, "--only-keys-from /nonexistent/.env.example: no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, tc.environ, nil, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("run wrote %q to stdout", stdout.String())
			}
			var line bytes.Buffer
			if code := report(err, &line); code != exitFailure {
				t.Errorf("report = %d, want %d", code, exitFailure)
			}
		})
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code int
		line string
	}{
		{"success", nil, 0, ""},
		{"plain failure", errors.New("app: secret not found"), exitFailure, "secretenv: app: secret not found\n"},
		{"not found", &exitError{exitNotFound, errors.New("'nope': not found")}, exitNotFound, "secretenv: 'nope': not found\n"},
		{"wrapped exit status", errors.Join(&exitError{exitNotExecutable, errors.New("'x': permission denied")}), exitNotExecutable, "secretenv: 'x': permission denied\n"},
		{"signal", &exitError{143, errors.New("received terminated")}, 143, "secretenv: received terminated\n"},
		{"status without a message", &exitError{code: 1}, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := report(tc.err, &stderr); code != tc.code || stderr.String() != tc.line {
				t.Errorf("report = %d, %q; want %d, %q", code, stderr.String(), tc.code, tc.line)
			}
		})
	}
}

// TestCheckSettingNames: a SECRETENV_ variable that is no setting is a
// mistake to name, not to ignore.
func TestCheckSettingNames(t *testing.T) {
	for _, tc := range []struct {
		name, kv, err string
	}{
		{"a setting", "SECRETENV_OVERRIDE=true", ""},
		{"a composed value", "SECRETENV_SET_DATABASE_URL=x", ""},
		{"a file value", "SECRETENV_FILE_TLS_KEY=/run/k", ""},
		{"the shim's own", "SECRETENV_INTERNAL_LISTEN_SHIM=3;x", ""},
		{"not ours", "SECRETENVX=1", ""},
		{"a typo", "SECRETENV_OVERIDE=true", "SECRETENV_OVERIDE is not a secretenv setting; did you mean SECRETENV_OVERRIDE?"},
		{"a swap", "SECRETENV_TIMEUOT=5s", "did you mean SECRETENV_TIMEOUT?"},
		{"set without its underscore", "SECRETENV_SETX=${A}", "write SECRETENV_SET_NAME, NAME the variable it is for"},
		{"the prefix alone", "SECRETENV_SET_=x", "write SECRETENV_SET_NAME"},
		{"file prefix alone", "SECRETENV_FILE=x", "write SECRETENV_FILE_NAME"},
		{"unknown", "SECRETENV_COLOR=1", "SECRETENV_COLOR is not a secretenv setting; the settings are the flags' twins in 'secretenv --help'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSettingNames([]string{"PATH=/bin", tc.kv})
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestSettingNamesComplete: every SECRETENV_ name the code reads is in
// settingNames (or under a prefix), so checkSettingNames never refuses a
// setting that exists.
func TestSettingNamesComplete(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("internal/*/*.go")
	re := regexp.MustCompile(`"(SECRETENV_[A-Z_]+)"`)
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(text), -1) {
			if err := checkSettingNames([]string{m[1] + "=x"}); err != nil && !strings.HasSuffix(m[1], "_") {
				t.Errorf("%s reads %s, which checkSettingNames refuses: %v", f, m[1], err)
			}
		}
	}
}
