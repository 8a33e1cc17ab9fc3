package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file holds the pure core: turning secret text into variables and
// merging them with the process environment. Nothing here does I/O, and no
// error built here ever contains a secret value: Go's JSON errors quote input
// bytes, so they are replaced by positions, and values are only ever named by
// their key.

// errNotObject is returned by parseSecret when the secret is valid JSON but
// not an object.
var errNotObject = errors.New("secret is not a JSON object")

// errBOM is returned by parseSecret for a secret that starts with a UTF-8
// byte-order mark, as editors on Windows save files; JSON (RFC 8259 §8.1)
// does not allow one, and the decoder would report only a syntax error at
// byte 1.
var errBOM = errors.New("secret starts with a byte-order mark (U+FEFF); save it without a BOM")

// errLoneSurrogate follows a key's name: a \u escape of a UTF-16 surrogate
// without its pair has no UTF-8 form, and Go's decoder would silently make
// it U+FFFD, so the value would not be kept byte for byte.
var errLoneSurrogate = errors.New("holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair), which has no UTF-8 form; fix the secret's JSON")

// parseSecret reads a secret's text as a flat JSON object and returns its
// keys and values, converted to environment text by convertValue. Keys are
// not validated here; see checkVars.
func parseSecret(text []byte) (map[string]string, error) {
	if vars, ok := parseObject(text); ok {
		return vars, nil
	}
	return parseSecretStrict(text)
}

// parseObject is parseSecret's fast path for the common case, a valid JSON
// object with no repeated key: one validity scan, then the members are
// sliced out of one string, so a key or value without escapes costs no copy
// and no reflection. On a 64 KiB secret of 2,000 keys it is several times
// faster than the token decoder, whose every Decode builds and drops a
// scanner error. ok is false for anything else, and parseSecretStrict then
// finds the error to report.
func parseObject(text []byte) (vars map[string]string, ok bool) {
	if !json.Valid(text) {
		return nil, false
	}
	s := string(text)
	i := skipSpace(s, 0)
	if s[i] != '{' {
		return nil, false
	}
	vars = make(map[string]string, countMembers(text))
	// The text is valid JSON, so every member is: string, ':', value, then
	// ',' or '}'.
	for i = skipSpace(s, i+1); s[i] != '}'; i = skipSpace(s, i+1) {
		end := valueEnd(s, i)
		key, err := convertText(s[i:end])
		if err != nil {
			return nil, false
		}
		i = skipSpace(s, skipSpace(s, end)+1) // past the ':'
		end = valueEnd(s, i)
		val, err := convertText(s[i:end])
		if err != nil {
			return nil, false
		}
		if _, dup := vars[key]; dup {
			return nil, false
		}
		vars[key] = val
		if i = skipSpace(s, end); s[i] == '}' {
			break
		}
	}
	return vars, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at s[i],
// in valid JSON.
func valueEnd(s string, i int) int {
	depth, inString := 0, false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case inString && c == '\\':
			j++
		case c == '"':
			if inString = !inString; !inString && depth == 0 {
				return j + 1
			}
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth == 0 {
				return j + 1
			}
			if depth < 0 { // the end of the enclosing object
				return j
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return j
		}
	}
	return len(s)
}

// countMembers counts the members of the top-level object in valid JSON:
// the colons at depth 1 outside strings.
func countMembers(text []byte) int {
	n, depth := 0, 0
	inString, escaped := false, false
	for _, c := range text {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 1:
			n++
		}
	}
	return n
}

// parseSecretStrict is parseSecret token by token, so that it can name a
// repeated key and report a syntax error by position.
func parseSecretStrict(text []byte) (map[string]string, error) {
	if bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) {
		return nil, errBOM
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber() // a top-level 1E700 is "not an object", not a float64 overflow
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(dec, err)
	}
	if tok != json.Delim('{') {
		return nil, errNotObject
	}
	vars := make(map[string]string)
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(dec, err)
		}
		key := tok.(string) // inside an object, the decoder yields only string keys
		// The key's text as written (after the comma before it), since
		// the decoder has already replaced a lone surrogate. Such a key is
		// no variable name, more likely a pasted value: named by position.
		if raw := text[start:dec.InputOffset()]; hasLoneSurrogate(string(raw)) {
			return nil, fmt.Errorf("the key at byte %d %w", start+int64(bytes.IndexByte(raw, '"'))+1, errLoneSurrogate)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(dec, err)
		}
		if _, dup := vars[key]; dup {
			return nil, fmt.Errorf("key %s appears twice in the JSON object", quoteKey(key))
		}
		v, err := convertValue(raw)
		if errors.Is(err, errLoneSurrogate) {
			return nil, fmt.Errorf("value of key %s %w", quoteKey(key), err)
		}
		if err != nil {
			return nil, err
		}
		vars[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, jsonError(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("secret is not valid JSON: unexpected data after the object at byte %d", dec.InputOffset())
	}
	return vars, nil
}

// jsonError describes a decoding failure by position only. The decoder's own
// message is dropped on purpose: it quotes the offending input byte, which
// may be part of a secret value.
func jsonError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("secret is not valid JSON: it ends too early")
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("secret is not valid JSON: syntax error at byte %d", syn.Offset)
	}
	return fmt.Errorf("secret is not valid JSON: error at byte %d", dec.InputOffset())
}

// convertValue turns one JSON value into environment text: strings exactly,
// numbers as written (no float64 round trip), booleans as true/false, null as
// the empty string, and objects and arrays as compact JSON.
func convertValue(raw json.RawMessage) (string, error) {
	return convertText(string(raw))
}

// convertText is convertValue on valid JSON text; a string without escapes
// is returned as a substring of raw, without a copy.
func convertText(raw string) (string, error) {
	switch raw[0] {
	case '"':
		if inner := raw[1 : len(raw)-1]; strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
			return inner, nil // no escape to undo: the common case, without reflection
		}
		if hasLoneSurrogate(raw) {
			return "", errLoneSurrogate
		}
		var s string
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return "", errors.New("secret is not valid JSON: bad string") // unreachable: the decoder validated raw
		}
		return s, nil
	case 'n':
		return "", nil
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(raw)); err != nil {
			return "", errors.New("secret is not valid JSON: bad nested value")
		}
		return buf.String(), nil
	}
	return raw, nil // numbers, true, false
}

// hasLoneSurrogate reports whether JSON text holds a \u escape of a UTF-16
// surrogate that is not a high surrogate (D800-DBFF) directly followed by an
// escaped low one (DC00-DFFF): the pairs that make one code point.
func hasLoneSurrogate(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		i++ // the escaped byte: an escaped backslash is skipped whole
		r, ok := unicodeEscape(text, i-1)
		switch {
		case !ok || r < 0xd800 || r > 0xdfff:
		case r >= 0xdc00:
			return true // a low surrogate without a high one before it
		default:
			if low, ok := unicodeEscape(text, i+5); !ok || low < 0xdc00 || low > 0xdfff {
				return true
			}
			i += 6 // the pair's low half
		}
	}
	return false
}

// unicodeEscape decodes the \uXXXX escape at text[i:], if there is one.
func unicodeEscape(text string, i int) (rune, bool) {
	if i+6 > len(text) || text[i] != '\\' || text[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(text[i+2 : i+6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// validKey reports whether name can be an environment variable name that
// every shell and runtime reads back: ^[A-Za-z_][A-Za-z0-9_]*$.
func validKey(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// quoteKey names a key from a secret or a file in a message. A variable
// name is shown, quoted; any other key may be a value pasted where a key
// belongs (`"postgres://admin:…": ""`), so none of its bytes are shown, only
// its length: even a short prefix of a password is part of the password,
// and no rule can tell a safe prefix from one. Messages that have the key's
// line give it too.
func quoteKey(key string) string {
	if validKey(key) {
		return strconv.Quote(key)
	}
	return fmt.Sprintf("<%d-byte key, not shown>", len(key))
}

// quoteName quotes, shortened, a name that is no secret's content: one the
// person typed as a flag (--require, --allow-key, --only-key), already on
// their command line, or one made from a parameter's path, which the
// message shows anyway. Seeing it is how they fix it.
func quoteName(name string) string {
	const max = 64
	if len(name) > max {
		return fmt.Sprintf("%q…", name[:max])
	}
	return fmt.Sprintf("%q", name)
}

// checkVars returns an error naming every key that cannot become an
// environment variable: a bad name, or a value holding a NUL byte, which
// execve cannot pass.
func checkVars(vars map[string]string) error {
	var bad, nul []string
	for k, v := range vars {
		if !validKey(k) {
			bad = append(bad, k)
		} else if strings.IndexByte(v, 0) >= 0 {
			nul = append(nul, k)
		}
	}
	switch {
	case len(bad) > 0:
		slices.Sort(bad)
		for i, k := range bad {
			bad[i] = quoteKey(k)
		}
		return fmt.Errorf("invalid variable name %s; names must match [A-Za-z_][A-Za-z0-9_]*", strings.Join(bad, ", "))
	case len(nul) > 0:
		slices.Sort(nul)
		return fmt.Errorf("value of %s contains a NUL byte, which cannot be passed to a program", strings.Join(nul, ", "))
	}
	return nil
}

// source says where a variable of the final environment came from.
type source struct {
	Secret   string // the secret the value came from, as the user named it
	Ref      bool   // resolved from a reference held in the variable itself
	Override bool   // replaced a value the environment had (--override)
}

// mergeResult is the environment a command will see, with the provenance of
// each name that secretenv set or kept in the face of a secret.
type mergeResult struct {
	Env  []string          // NAME=value, each name once
	Set  map[string]source // names whose value came from a secret
	Kept map[string]string // names a secret also had but the environment won: name -> secret id
}

// layer is one secret's variables, in the order secrets were given.
type layer struct {
	ID   string
	Vars map[string]string
}

// mergeEnv builds the child environment from the process environment, the
// secrets (later layers replace earlier ones) and the resolved references.
// The environment wins over secrets unless override is set; a variable that
// is set but empty counts as set. References always win: they were put in
// the environment to be replaced. The result keeps the environment's order
// and names each variable once (the first entry of a duplicated name wins,
// as getenv(3) reads it); entries without '=' are dropped.
func mergeEnv(environ []string, layers []layer, refs map[string]string, refSecret map[string]string, override bool) mergeResult {
	n := 0
	for _, l := range layers {
		n += len(l.Vars)
	}
	// Sized up front: growing maps of 2,000 keys costs more than filling them.
	fromSecret := make(map[string]string, n) // name -> value
	owner := make(map[string]string, n)      // name -> secret id
	for _, l := range layers {
		for k, v := range l.Vars {
			fromSecret[k] = v
			owner[k] = l.ID
		}
	}
	res := mergeResult{Set: make(map[string]source, n+len(refs)), Kept: make(map[string]string), Env: make([]string, 0, len(environ)+n)}
	seen := make(map[string]bool, len(environ))
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if v, ok := refs[name]; ok {
			value = v
			res.Set[name] = source{Secret: refSecret[name], Ref: true}
		} else if v, ok := fromSecret[name]; ok {
			if override {
				value = v
				res.Set[name] = source{Secret: owner[name], Override: true}
			} else {
				res.Kept[name] = owner[name]
			}
		}
		res.Env = append(res.Env, name+"="+value)
	}
	added := make([]string, 0, len(fromSecret))
	for name := range fromSecret {
		if !seen[name] {
			added = append(added, name)
		}
	}
	slices.Sort(added)
	for _, name := range added {
		res.Env = append(res.Env, name+"="+fromSecret[name])
		res.Set[name] = source{Secret: owner[name]}
	}
	return res
}

// lookupEnv returns the value of name in environ, reading the first entry
// as getenv(3) does.
func lookupEnv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// loaderKeys are the variable names, and prefixes ending in '*', that make
// a common program, runtime or library run code, or load a library or a
// program, chosen by the variable's value (alone, or with a file on the
// image). Whoever can write a secret could otherwise run code in every
// container, so a secret's key that matches is refused unless allowed by
// name. The list is a best effort; --only-key is the guarantee. Each entry
// cites its source; README.md lists them for users with the reasons.
//
// An entry in lower case matches names in any case: npm reads its
// variables that way. Every other entry is matched exactly, as the
// programs read them.
//
// Not listed on purpose, as they pick data rather than code, or are
// settings apps commonly keep in secrets: trust stores and proxies
// (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, HTTPS_PROXY), HOME and XDG_*,
// glibc's data paths (LOCPATH, NLSPATH, HOSTALIASES, TZDIR), package
// index settings (PIP_*, YARN_*, BUNDLE_* but BUNDLE_GEMFILE), app
// settings that name a module (DJANGO_SETTINGS_MODULE, FLASK_APP), and
// SHELL, which few libraries run.
var loaderKeys = []string{
	// The dynamic linker, ld.so(8) and musl's ldso: LD_PRELOAD, LD_AUDIT,
	// LD_LIBRARY_PATH load libraries; macOS's dyld(1) reads DYLD_*.
	"LD_*", "DYLD_*",
	// glibc: GCONV_PATH loads iconv modules (iconv_open(3), gconv_conf.c);
	// GLIBC_TUNABLES (CVE-2023-4911); getconf(1) runs the program named
	// by $GETCONF_DIR/<spec> (posix/getconf.c). All three are in glibc's
	// own list of variables unsafe for setuid programs (unsecvars.h).
	"GCONV_PATH", "GLIBC_TUNABLES", "GETCONF_DIR",
	// PATH decides which program runs: execvp(3) and secretenv itself
	// look the command up in the final environment's PATH.
	"PATH",
	// Shells, bash(1) and dash(1) INVOCATION and PARAMETERS: exported
	// functions (BASH_FUNC_*), BASH_ENV and ENV (sourced by non-interactive
	// bash and by sh), SHELLOPTS and BASHOPTS (xtrace and friends), and the
	// prompts bash expands with command substitution: PS4 under xtrace,
	// PS0-PS2 and PROMPT_COMMAND when interactive. zsh(1) STARTUP/SHUTDOWN
	// FILES: every zsh sources $ZDOTDIR/.zshenv; ksh and zsh autoload
	// functions from FPATH.
	"BASH_FUNC_*", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS",
	"PS0", "PS1", "PS2", "PS4", "PROMPT_COMMAND", "ZDOTDIR", "FPATH",
	// Commands that programs and libraries run: Python's webbrowser module
	// runs $BROWSER (and the stdlib module antigravity opens it), pydoc,
	// git and man run $PAGER and $MANPAGER, man(1) the pager in $MANOPT
	// (--pager), git and many others $EDITOR and $VISUAL, ssh(1)
	// $SSH_ASKPASS, sudo(8) $SUDO_ASKPASS and $SUDO_EDITOR, and less(1) runs
	// the input preprocessor $LESSOPEN/$LESSCLOSE, the commands in $LESS
	// (a "+!cmd" option) and the lesskey files LESSKEY* name, which bind
	// keys and set those variables (lesskey(1), LESS ENVIRONMENT VARIABLES).
	"BROWSER", "PAGER", "MANPAGER", "MANOPT", "EDITOR", "VISUAL", "SSH_ASKPASS", "SUDO_ASKPASS",
	"SUDO_EDITOR", "LESSOPEN", "LESSCLOSE", "LESS", "LESSKEY*",
	// Python, docs.python.org/3/using/cmdline.html#environment-variables:
	// PYTHONPATH, PYTHONHOME and PYTHONPLATLIBDIR choose where the standard
	// library and modules load from; PYTHONSTARTUP runs a file;
	// PYTHONWARNINGS imports the module named in a filter's category
	// (warnings._getcategory); PYTHONBREAKPOINT names the callable that
	// breakpoint() imports and calls; PYTHONUSERBASE adds a site-packages
	// whose .pth files run at start-up (site.py); PYTHONPYCACHEPREFIX reads
	// bytecode from a tree it names; PYTHONEXECUTABLE sets sys.executable,
	// which multiprocessing and subprocess callers run. (PYTHONINSPECT is not
	// here: it opens a REPL only when stdin is a terminal, Modules/main.c
	// pymain_repl, so it runs what the terminal's user types, not a value.)
	"PYTHONPATH", "PYTHONHOME", "PYTHONPLATLIBDIR", "PYTHONSTARTUP", "PYTHONWARNINGS",
	"PYTHONBREAKPOINT", "PYTHONUSERBASE", "PYTHONPYCACHEPREFIX", "PYTHONEXECUTABLE",
	// gunicorn reads any command-line option from GUNICORN_CMD_ARGS
	// (docs.gunicorn.org/en/stable/settings.html), --config python:MODULE
	// and the hook settings among them. pytest imports the modules in
	// PYTEST_PLUGINS and reads -p MODULE from PYTEST_ADDOPTS
	// (docs.pytest.org/en/stable/reference/reference.html#environment-variables).
	"GUNICORN_CMD_ARGS", "PYTEST_PLUGINS", "PYTEST_ADDOPTS",
	// Node.js, nodejs.org/api/cli.html#environment-variables: NODE_OPTIONS
	// (--require, --import data:...), NODE_PATH, and NODE_REPL_EXTERNAL_MODULE,
	// loaded in place of the REPL. npm reads every npm_config_* variable, in
	// any case, as configuration (docs.npmjs.com/cli/using-npm/config),
	// script-shell and node-options among them.
	"NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE", "npm_config_*",
	// The JVM, docs.oracle.com/en/java/javase/21/docs/specs/man/java.html:
	// JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS and _JAVA_OPTIONS add options
	// (-javaagent, -XX:OnError=cmd); CLASSPATH is the class path when no -cp
	// is given. Launcher scripts (Tomcat's catalina.sh, Gradle's application
	// start scripts) pass JAVA_OPTS and CATALINA_OPTS to java and run
	// $JAVA_HOME/bin/java; mvn(1) passes MAVEN_OPTS and gradle GRADLE_OPTS,
	// and gradle runs the init scripts under GRADLE_USER_HOME/init.d
	// (docs.gradle.org/current/userguide/init_scripts.html).
	"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "CLASSPATH",
	"JAVA_OPTS", "CATALINA_OPTS", "JAVA_HOME", "MAVEN_OPTS", "GRADLE_OPTS", "GRADLE_USER_HOME",
	// .NET: DOTNET_STARTUP_HOOKS loads assemblies before Main
	// (dotnet/runtime docs/design/features/host-startup-hook.md),
	// DOTNET_ADDITIONAL_DEPS adds dependencies, and the profiler variables
	// load a native library (learn.microsoft.com/dotnet/core/runtime-config/
	// debugging-profiling).
	"DOTNET_STARTUP_HOOKS", "DOTNET_ADDITIONAL_DEPS", "CORECLR_PROFILER*", "DOTNET_PROFILER*",
	"CORECLR_ENABLE_PROFILING", "DOTNET_ENABLE_PROFILING",
	// Perl, perlrun(1) ENVIRONMENT: PERL5LIB, PERLLIB, PERL5OPT (-M loads
	// a module, -d the debugger) and PERL5DB, the debugger's code itself.
	"PERL5LIB", "PERLLIB", "PERL5OPT", "PERL5DB",
	// Ruby, ruby(1) ENVIRONMENT: RUBYOPT (-r loads a library), RUBYLIB,
	// RUBYPATH (where -S finds the script); RubyGems' GEM_HOME and GEM_PATH
	// choose where gems load from; Bundler evaluates the Ruby file
	// BUNDLE_GEMFILE names (bundle-config(1)).
	"RUBYOPT", "RUBYLIB", "RUBYPATH", "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE",
	// PHP, php.net/configuration.file: PHPRC and PHP_INI_SCAN_DIR choose
	// the php.ini files, whose auto_prepend_file and extension load code.
	"PHPRC", "PHP_INI_SCAN_DIR",
	// Lua, lua(1): LUA_INIT and LUA_INIT_5_x run code or a @file before
	// the script; LUA_PATH* and LUA_CPATH* are the module search paths.
	"LUA_INIT*", "LUA_PATH*", "LUA_CPATH*",
	// R, ?Startup (search.r-project.org/R/refmans/base/html/Startup.html):
	// R_PROFILE and R_PROFILE_USER are R code run at start-up, R_ENVIRON
	// and R_ENVIRON_USER set variables, R_LIBS* are library paths.
	"R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "R_LIBS*",
	// Tcl, tclsh(1) and tclvars(n): TCL_LIBRARY holds init.tcl, run at
	// start-up; TCLLIBPATH is searched for packages (pkgIndex.tcl is code).
	"TCL_LIBRARY", "TCLLIBPATH",
	// Erlang and Elixir, erl(1) ENVIRONMENT: ERL_AFLAGS, ERL_FLAGS and
	// ERL_ZFLAGS add flags (-eval, -s), ERL_LIBS adds code paths;
	// ELIXIR_ERL_OPTIONS is passed to erl by elixir(1).
	"ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ERL_LIBS", "ELIXIR_ERL_OPTIONS",
	// Go, `go help environment`: GOFLAGS can hold -toolexec=cmd for go run
	// and go build, and GOENV names the file GOFLAGS may come from.
	"GOFLAGS", "GOENV",
	// git, git(1) ENVIRONMENT VARIABLES and git-config(1) ENVIRONMENT:
	// commands it runs (GIT_SSH, GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF,
	// GIT_PAGER, GIT_EDITOR, GIT_SEQUENCE_EDITOR, GIT_ASKPASS,
	// GIT_PROXY_COMMAND), where it finds its own programs (GIT_EXEC_PATH),
	// configuration (GIT_CONFIG, GIT_CONFIG_COUNT/KEY_n/VALUE_n,
	// GIT_CONFIG_PARAMETERS, GIT_CONFIG_GLOBAL: core.fsmonitor and
	// core.sshCommand run commands), a repository whose config and hooks
	// apply (GIT_DIR) and hooks copied into new ones (GIT_TEMPLATE_DIR).
	"GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR",
	"GIT_SEQUENCE_EDITOR", "GIT_ASKPASS", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH",
	"GIT_CONFIG*", "GIT_DIR", "GIT_TEMPLATE_DIR",
	// OpenSSL, openssl-env(7): OPENSSL_CONF and OPENSSL_CONF_INCLUDE choose
	// the configuration, which loads engines and providers; OPENSSL_ENGINES
	// and OPENSSL_MODULES are the directories they load from.
	"OPENSSL_CONF", "OPENSSL_CONF_INCLUDE", "OPENSSL_ENGINES", "OPENSSL_MODULES",
	// Kerberos, kerberos(7) ENVIRONMENT: krb5.conf's [plugins] load
	// libraries; Cyrus SASL loads its mechanisms from SASL_PATH
	// (sasl_getpath).
	"KRB5_CONFIG", "KRB5_KDC_PROFILE", "SASL_PATH",
	// GLib, GTK, GStreamer and Qt module paths: GIO_EXTRA_MODULES and
	// GIO_MODULE_DIR (docs.gtk.org/gio/overview.html), GTK_MODULES,
	// GTK3_MODULES and GTK_PATH (docs.gtk.org/gtk3/running.html),
	// GST_PLUGIN_PATH, GST_PLUGIN_SYSTEM_PATH and GST_PLUGIN_SCANNER
	// (gstreamer.freedesktop.org running docs), QT_PLUGIN_PATH
	// (doc.qt.io/qt-6/deployment-plugins.html).
	"GIO_EXTRA_MODULES", "GIO_MODULE_DIR", "GTK_MODULES", "GTK3_MODULES", "GTK_PATH",
	"GST_PLUGIN_*", "QT_PLUGIN_PATH",
	// Image and document tools that apps run on uploads: ImageMagick reads
	// delegates.xml, whose commands it runs, from MAGICK_CONFIGURE_PATH and
	// loads coder and filter modules from MAGICK_CODER_MODULE_PATH and
	// MAGICK_CODER_FILTER_PATH (imagemagick.org/script/resources.php);
	// Ghostscript, which ImageMagick runs for PDF and PostScript, takes
	// options (-dNOSAFER) from GS_OPTIONS and its PostScript start-up files
	// from GS_LIB (gs(1) ENVIRONMENT).
	"MAGICK_CONFIGURE_PATH", "MAGICK_CODER_MODULE_PATH", "MAGICK_CODER_FILTER_PATH",
	"GS_OPTIONS", "GS_LIB",
	// Credential helpers that clients run: the AWS SDKs and CLI run a
	// profile's credential_process from the AWS_CONFIG_FILE they read
	// (docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html),
	// and kubectl and client-go run a user's exec plugin from KUBECONFIG
	// (kubernetes.io/docs/reference/access-authn-authz/authentication/).
	"AWS_CONFIG_FILE", "KUBECONFIG",
}

// isLoaderKey reports whether name matches loaderKeys. It runs for every
// key of every secret (2,000 in a 64 KiB secret), so the entries are sorted
// out once, and a name is looked up without allocating: the loop with a
// strings.ToLower per entry cost 92,000 instructions a key.
func isLoaderKey(name string) bool {
	m := loaderMatch()
	if m.exact[name] {
		return true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, p := range m.anyCase {
		prefix, isPrefix := strings.CutSuffix(p, "*")
		if isPrefix && len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) || strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// loaderMatcher is loaderKeys sorted by how an entry matches.
type loaderMatcher struct {
	exact    map[string]bool
	prefixes []string // without the '*'
	anyCase  []string // entries in lower case, read in any case
}

var loaderMatch = sync.OnceValue(func() loaderMatcher {
	m := loaderMatcher{exact: make(map[string]bool, len(loaderKeys))}
	for _, p := range loaderKeys {
		prefix, isPrefix := strings.CutSuffix(p, "*")
		switch {
		case prefix == strings.ToLower(prefix):
			m.anyCase = append(m.anyCase, p)
		case isPrefix:
			m.prefixes = append(m.prefixes, prefix)
		default:
			m.exact[p] = true
		}
	}
	return m
})

// allowSet validates the --allow-key names and returns the allow set.
func allowSet(allow []string) (map[string]bool, error) {
	set := make(map[string]bool, len(allow))
	for _, name := range allow {
		if !validKey(name) {
			return nil, fmt.Errorf("--allow-key %s is not a variable name", quoteName(name))
		}
		set[name] = true
	}
	return set, nil
}

// checkDenied refuses a secret's loader keys that are not allowed.
func checkDenied(vars map[string]string, allowed map[string]bool) error {
	var bad []string
	for k := range vars {
		if isLoaderKey(k) && !allowed[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("key %s changes how programs load code and is refused; allow it with --allow-key %s", strings.Join(bad, ", "), bad[0])
}

// declaredSet validates the declared key names (--only-key and the keys of
// --only-keys-from) and returns the set. It is nil when none was declared,
// and then every key is accepted.
func declaredSet(names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	set := make(map[string]bool, len(names))
	for _, name := range names {
		if !validKey(name) {
			return nil, fmt.Errorf("--only-key %s is not a variable name", quoteName(name))
		}
		set[name] = true
	}
	return set, nil
}

// maxUndeclared is how many key names one refusal lists: a secret of 2,000
// undeclared keys must still give one readable line.
const maxUndeclared = 5

// checkDeclared refuses a secret's keys outside the declared set, whether
// or not the environment already has them: the set says what a secret may
// carry. A nil set accepts every key.
func checkDeclared(vars map[string]string, declared map[string]bool) error {
	if declared == nil {
		return nil
	}
	var bad []string
	for k := range vars {
		if !declared[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	list := strings.Join(bad[:min(len(bad), maxUndeclared)], ", ")
	if len(bad) > maxUndeclared {
		list += fmt.Sprintf(" and %d more", len(bad)-maxUndeclared)
	}
	return fmt.Errorf("key %s is not declared by --only-key or --only-keys-from and is refused; declare it, or remove it from the secret", list)
}
