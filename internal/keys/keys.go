package keys

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Valid reports whether name can be an environment variable name that
// every shell and runtime reads back: ^[A-Za-z_][A-Za-z0-9_]*$.
func Valid(name string) bool {
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

// Quote names a key from a secret or a file in a message. A variable
// name is shown, quoted; any other key may be a value pasted where a key
// belongs (`"postgres://admin:…": ""`), so none of its bytes are shown, only
// its length: even a short prefix of a password is part of the password,
// and no rule can tell a safe prefix from one. Messages that have the key's
// line give it too.
func Quote(key string) string {
	if Valid(key) {
		return strconv.Quote(key)
	}
	return fmt.Sprintf("<%d-byte key, not shown>", len(key))
}

// QuoteName quotes, shortened, a name that is no secret's content: one the
// person typed as a flag (--require, --allow-key, --only-key), already on
// their command line, or one made from a parameter's path, which the
// message shows anyway. Seeing it is how they fix it.
func QuoteName(name string) string {
	const max = 64
	if len(name) > max {
		return fmt.Sprintf("%q…", name[:max])
	}
	return fmt.Sprintf("%q", name)
}

// CheckNames returns an error naming every key that cannot become an
// environment variable: a bad name, or a value holding a NUL byte, which
// execve cannot pass.
func CheckNames(vars map[string]string) error {
	var bad, nul []string
	for k, v := range vars {
		if !Valid(k) {
			bad = append(bad, k)
		} else if strings.IndexByte(v, 0) >= 0 {
			nul = append(nul, k)
		}
	}
	switch {
	case len(bad) > 0:
		slices.Sort(bad)
		for i, k := range bad {
			bad[i] = Quote(k)
		}
		return fmt.Errorf("invalid variable name %s; names must match [A-Za-z_][A-Za-z0-9_]*", strings.Join(bad, ", "))
	case len(nul) > 0:
		slices.Sort(nul)
		return fmt.Errorf("value of %s contains a NUL byte, which cannot be passed to a program", strings.Join(nul, ", "))
	}
	return nil
}

// loaderKeys are the variable names, and prefixes ending in '*', that make
// a common program, runtime or library run code, or load a library or a
// program, chosen by the variable's value (alone, or with a file on the
// image). Whoever can write a secret could otherwise run code in every
// container, so a secret's key that matches is refused unless allowed by
// name. The list is a best effort; --only-key is the guarantee. Each entry
// cites its source; README.md lists them for users with the reasons.
//
// Families, not names: where a program reads every variable of a prefix
// (git reads GIT_*, the JDK launcher JDK_* and _JAVA_*, Python PYTHON*),
// the whole prefix is refused, because a list of its dangerous members
// keeps missing the next one (GIT_TEST_FSMONITOR, JDK_ALTERNATE_VM and
// GIT_COMMON_DIR each slipped past a list that named GIT_DIR and
// JDK_JAVA_OPTIONS). Members that are inert and that apps keep in secrets
// are named in loaderExceptions instead, each with its source.
//
// Method: for each interpreter and tool common in container images, the
// variables it reads were taken from its own documentation as installed
// (`python3 --help-env`, `node --help`, `go help environment`, `git help
// git`, man pages for make, ssh, curl, less, ld.so, openssl-env(7), vim's
// `:help startup`) and, for git, make and the JDK launcher, from the
// names in the binary itself (`strings /usr/bin/git | grep '^GIT_'`,
// libjli.so); each was classed as code (refused) or data (not).
//
// An entry in lower case matches names in any case: npm reads its
// variables that way. Every other entry is matched exactly, as the
// programs read them.
//
// Not listed on purpose, as they pick data rather than code, or are
// settings apps commonly keep in secrets: trust stores and proxies
// (SSL_CERT_FILE, CURL_CA_BUNDLE, HTTPS_PROXY), HOME and XDG_* (which
// choose every dotfile: ~/.gitconfig, ~/.vimrc, ~/.curlrc), glibc's data
// paths (LOCPATH, NLSPATH, HOSTALIASES, TZDIR), package index settings
// (PIP_*, YARN_*, BUNDLE_* but BUNDLE_GEMFILE), app settings that name a
// module (DJANGO_SETTINGS_MODULE, FLASK_APP), SHELL, which few libraries
// run (make ignores it from the environment), and the variables make
// imports as make variables (CFLAGS, any name a Makefile uses): the
// Makefile decides what those do.
var loaderKeys = []string{
	// The dynamic linker, ld.so(8) ENVIRONMENT and musl's ldso
	// (musl.libc.org/doc/1.1.24/manual.html): LD_PRELOAD, LD_AUDIT,
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
	// bash and by sh; busybox ash reads ENV too), SHELLOPTS and BASHOPTS
	// (xtrace and friends), the prompts bash expands with command
	// substitution: PS4 under xtrace, PS0-PS2 and PROMPT_COMMAND when
	// interactive, and BASH_LOADABLES_PATH, where `enable -f` loads
	// builtins from. zsh(1) STARTUP/SHUTDOWN FILES: every zsh sources
	// $ZDOTDIR/.zshenv; ksh and zsh autoload functions from FPATH.
	"BASH_FUNC_*", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "BASH_LOADABLES_PATH",
	"PS0", "PS1", "PS2", "PS4", "PROMPT_COMMAND", "ZDOTDIR", "FPATH",
	// Commands that programs and libraries run: Python's webbrowser module
	// runs $BROWSER (and the stdlib module antigravity opens it), pydoc,
	// git and man run $PAGER and $MANPAGER, man(1) the pager in $MANOPT
	// (--pager), git and many others $EDITOR and $VISUAL, ssh(1)
	// $SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force runs it without a terminal),
	// sudo(8) $SUDO_ASKPASS and $SUDO_EDITOR.
	"BROWSER", "PAGER", "MANPAGER", "MANOPT", "EDITOR", "VISUAL", "SSH_ASKPASS*", "SUDO_ASKPASS",
	"SUDO_EDITOR",
	// less(1) ENVIRONMENT VARIABLES: the family runs commands: the input
	// preprocessor LESSOPEN/LESSCLOSE, "+!cmd" in $LESS, the editor command
	// LESSEDIT, LESS_OSC8_* link handlers, the lesskey files LESSKEY* name
	// (which bind keys and set those variables), and LESSMETACHARS and
	// LESSMETAESCAPE decide how file names are quoted for the shell.
	"LESS*",
	// vim, `:help startup` (starting.txt) and `:help $VIM`: VIMINIT,
	// GVIMINIT and EXINIT are Ex commands run at start-up (`:call
	// system(...)`, and vi is git's default editor); VIM, VIMRUNTIME,
	// MYVIMRC and MYGVIMRC choose the files sourced at start-up (defaults.vim,
	// plugins). Neovim's NVIM_APPNAME chooses its config directory.
	"VIMINIT", "GVIMINIT", "EXINIT", "VIM", "VIMRUNTIME", "MYVIMRC", "MYGVIMRC", "NVIM_APPNAME",
	// GNU make, make(1) and info make "Options/Recursion": MAKEFLAGS,
	// MFLAGS and GNUMAKEFLAGS are command-line options (--eval=$(shell
	// cmd) runs cmd), MAKEFILES names makefiles read first, and the rest of
	// the MAKE* names in the binary (MAKELEVEL, MAKEOVERRIDES, MAKE_*) are
	// its own; recursive recipes run $(MAKE).
	"MAKE*", "MFLAGS", "GNUMAKEFLAGS",
	// Python, `python3 --help-env` and docs.python.org/3/using/cmdline.html:
	// the interpreter reads the PYTHON* family: PYTHONPATH, PYTHONHOME,
	// PYTHONPLATLIBDIR choose where the standard library and modules load
	// from; PYTHONSTARTUP runs a file; PYTHONWARNINGS imports the module in a
	// filter's category; PYTHONBREAKPOINT names a callable to import;
	// PYTHONUSERBASE adds a site-packages whose .pth files run;
	// PYTHONPYCACHEPREFIX reads bytecode from a tree it names;
	// PYTHONEXECUTABLE is what multiprocessing runs. Inert members are
	// loaderExceptions.
	"PYTHON*",
	// gunicorn reads any command-line option from GUNICORN_CMD_ARGS
	// (docs.gunicorn.org/en/stable/settings.html), --config python:MODULE
	// and the hook settings among them. pytest imports the modules in
	// PYTEST_PLUGINS and reads -p MODULE from PYTEST_ADDOPTS
	// (docs.pytest.org/en/stable/reference/reference.html#environment-variables).
	"GUNICORN_CMD_ARGS", "PYTEST_PLUGINS", "PYTEST_ADDOPTS",
	// Node.js, `node --help` "Environment variables" and
	// nodejs.org/api/cli.html#environment-variables: node reads the NODE_*
	// family: NODE_OPTIONS (--require, --import data:...), NODE_PATH,
	// NODE_REPL_EXTERNAL_MODULE (loaded in place of the REPL), and files it
	// writes (NODE_REDIRECT_WARNINGS, NODE_V8_COVERAGE). npm reads every
	// npm_config_* variable, in any case, as configuration
	// (docs.npmjs.com/cli/using-npm/config), script-shell and node-options
	// among them.
	"NODE_*", "npm_config_*",
	// The JDK, docs.oracle.com/en/java/javase/21/docs/specs/man/java.html
	// and the names in the launcher (strings libjli.so, libjvm.so): it reads
	// JDK_* (JDK_JAVA_OPTIONS; JDK_ALTERNATE_VM loads $JDK_ALTERNATE_VM/libjvm.so),
	// _JAVA_* (_JAVA_OPTIONS, _JAVA_LAUNCHER_DEBUG, _JAVA_SPLASH_*) and JAVA_*
	// (JAVA_TOOL_OPTIONS: -javaagent, -XX:OnError=cmd; JAVA_HOME), and
	// CLASSPATH is the class path when no -cp is given. Launcher scripts
	// (Tomcat's catalina.sh, Gradle's start scripts) pass JAVA_OPTS and
	// CATALINA_OPTS to java and run $JAVA_HOME/bin/java; mvn(1) passes
	// MAVEN_OPTS and gradle GRADLE_OPTS, and gradle runs the init scripts
	// under GRADLE_USER_HOME/init.d
	// (docs.gradle.org/current/userguide/init_scripts.html).
	"JDK_*", "_JAVA_*", "JAVA_*", "CLASSPATH",
	"CATALINA_OPTS", "MAVEN_OPTS", "GRADLE_OPTS", "GRADLE_USER_HOME",
	// .NET: DOTNET_STARTUP_HOOKS loads assemblies before Main
	// (dotnet/runtime docs/design/features/host-startup-hook.md),
	// DOTNET_ADDITIONAL_DEPS adds dependencies, and the profiler variables
	// load a native library (learn.microsoft.com/dotnet/core/runtime-config/
	// debugging-profiling).
	"DOTNET_STARTUP_HOOKS", "DOTNET_ADDITIONAL_DEPS", "CORECLR_PROFILER*", "DOTNET_PROFILER*",
	"CORECLR_ENABLE_PROFILING", "DOTNET_ENABLE_PROFILING",
	// Perl, perlrun(1) ENVIRONMENT: perl reads the PERL* family: PERL5LIB,
	// PERLLIB, PERL5OPT (-M loads a module, -d the debugger), PERL5DB (the
	// debugger's code), PERL5SHELL, PERLIO (layers load modules), and
	// PERL_* (PERL_MM_OPT and PERL_MB_OPT for module builds).
	"PERL*",
	// Ruby, ruby(1) ENVIRONMENT: the RUBY* family: RUBYOPT (-r loads a
	// library), RUBYLIB, RUBYPATH (where -S finds the script), RUBYSHELL
	// and RUBY_TCL_DLL/RUBY_TK_DLL (libraries it loads); RubyGems reads
	// GEM_* (GEM_HOME, GEM_PATH: where gems load from) and GEMRC (whose
	// options include plugins); Bundler evaluates the Ruby file
	// BUNDLE_GEMFILE names (bundle-config(1)).
	"RUBY*", "GEM_*", "GEMRC", "BUNDLE_GEMFILE",
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
	// The go command's own environment, every name in `go help environment`
	// (Go 1.26): GOROOT and GOTOOLDIR choose the compiler it runs, GOFLAGS
	// can hold -toolexec=cmd, GOTOOLCHAIN downloads and runs another go,
	// GOCACHEPROG runs a program, GOENV names the file the rest may come
	// from, GOPROXY/GOSUMDB/GOINSECURE/GONOSUMDB decide which code it
	// trusts, and cgo runs CC, CXX, FC, PKG_CONFIG with CGO_* flags. A GO*
	// prefix would also refuse GOOGLE_APPLICATION_CREDENTIALS, so the names
	// are listed; TestLoaderKeysGoEnvironment checks them against the go
	// command itself. gcc(1) ENVIRONMENT: GCC_EXEC_PREFIX and COMPILER_PATH
	// choose the compiler proper (cc1) and assembler it runs.
	"AR", "CC", "CXX", "FC", "PKG_CONFIG", "GCCGO", "GCCGOTOOLDIR", "CGO_*",
	"GO111MODULE", "GO386", "GOAMD64", "GOARCH", "GOARM", "GOARM64", "GOAUTH", "GOBIN",
	"GOCACHE", "GOCACHEPROG", "GOCOVERDIR", "GODEBUG", "GOENV", "GOEXE", "GOEXPERIMENT",
	"GOFIPS140", "GOFLAGS", "GOGCCFLAGS", "GOHOSTARCH", "GOHOSTOS", "GOINSECURE", "GOMIPS",
	"GOMIPS64", "GOMOD", "GOMODCACHE", "GONOPROXY", "GONOSUMDB", "GOOS", "GOPATH", "GOPPC64",
	"GOPRIVATE", "GOPROXY", "GORISCV64", "GOROOT", "GOSUMDB", "GOTELEMETRY", "GOTELEMETRYDIR",
	"GOTMPDIR", "GOTOOLCHAIN", "GOTOOLDIR", "GOVCS", "GOVERSION", "GOWASM", "GOWORK",
	"GO_EXTLINK_ENABLED", "GCC_EXEC_PREFIX", "COMPILER_PATH",
	// git, git(1) ENVIRONMENT VARIABLES and the GIT_* names in the binary
	// (strings /usr/bin/git: 170 of them): the family runs commands
	// (GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF, GIT_PAGER, GIT_EDITOR,
	// GIT_ASKPASS, GIT_PROXY_COMMAND, GIT_TEST_FSMONITOR, run through the
	// shell by status, diff and add), finds git's own programs
	// (GIT_EXEC_PATH), gives configuration (GIT_CONFIG*, with core.fsmonitor
	// and core.sshCommand), and chooses a repository whose config and hooks
	// apply (GIT_DIR, GIT_COMMON_DIR, GIT_TEMPLATE_DIR). Inert members are
	// loaderExceptions.
	"GIT_*",
	// OpenSSL, openssl-env(7): OPENSSL_CONF and OPENSSL_CONF_INCLUDE choose
	// the configuration, which loads engines and providers; OPENSSL_ENGINES
	// and OPENSSL_MODULES are the directories they load from; the rest of
	// the family (OPENSSL_TRACE, OPENSSL_ia32cap) is OpenSSL's own.
	"OPENSSL_*",
	// curl(1) ENVIRONMENT and FILES: CURL_HOME is where the tool reads
	// .curlrc, whose options load an OpenSSL engine (--engine) and write
	// files (--output).
	"CURL_HOME",
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
	// profile's credential_process from the AWS_CONFIG_FILE or
	// AWS_SHARED_CREDENTIALS_FILE they read (boto3 reads it from either;
	// docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
	// and file-location.html), and kubectl and client-go run a user's exec
	// plugin from KUBECONFIG
	// (kubernetes.io/docs/reference/access-authn-authz/authentication/).
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "KUBECONFIG",
}

// loaderExceptions are the members of a loaderKeys family that load no
// code and that apps keep in secrets or images commonly set; each is read
// by name, and a new member of the family stays refused.
var loaderExceptions = []string{
	// git(1) "Git Commits": the author's and committer's identity and
	// dates, recorded in commits and never run. GIT_TOKEN is no git
	// variable (absent from git(1) and the binary); CI systems and apps
	// keep an access token under that name.
	"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
	"GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_TOKEN",
	// NODE_ENV is read by apps and frameworks (Express, webpack), not by
	// node (nodejs.org/en/learn/getting-started/nodejs-the-difference-
	// between-development-and-production); NODE_EXTRA_CA_CERTS adds trust
	// roots, data like SSL_CERT_FILE (`node --help`).
	"NODE_ENV", "NODE_EXTRA_CA_CERTS",
	// `python3 --help-env`: output buffering and encoding, the hash seed,
	// bytecode writing, and two that make Python safer (PYTHONSAFEPATH,
	// PYTHONNOUSERSITE). PYTHONINSPECT opens a REPL only when stdin is a
	// terminal (Modules/main.c pymain_repl), so it runs what the terminal's
	// user types, not a value.
	"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONUTF8",
	"PYTHONHASHSEED", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONINSPECT",
	// JAVA_VERSION is set by the openjdk and eclipse-temurin images
	// (docker-library) as a label for people; no launcher reads it.
	"JAVA_VERSION",
	// less(1): LESSSECURE turns off its shell escapes, editor and
	// preprocessor; LESSCHARSET picks a character set.
	"LESSSECURE", "LESSCHARSET",
}

// isLoaderKey reports whether name matches loaderKeys and is not one of
// loaderExceptions. It runs for every key of every secret (2,000 in a
// 64 KiB secret), so the entries are sorted out once, and a name costs a map
// lookup and the few prefixes that start with its first byte, without
// allocating: the families stay O(1) per key however many are added.
func isLoaderKey(name string) bool {
	if name == "" {
		return false
	}
	m := loaderMatch()
	if m.exact[name] {
		return true
	}
	for _, p := range m.prefixes[name[0]] {
		if strings.HasPrefix(name, p) {
			return !m.except[name]
		}
	}
	for _, p := range m.anyCase[name[0]] {
		prefix, isPrefix := strings.CutSuffix(p, "*")
		if isPrefix && len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) || strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// loaderMatcher is loaderKeys sorted by how an entry matches, the prefixes
// filed under their first byte.
type loaderMatcher struct {
	exact    map[string]bool
	except   map[string]bool
	prefixes [256][]string // without the '*'
	anyCase  [256][]string // entries in lower case, read in any case: under both cases of the first byte
}

var loaderMatch = sync.OnceValue(func() *loaderMatcher {
	m := &loaderMatcher{exact: make(map[string]bool, len(loaderKeys)), except: make(map[string]bool, len(loaderExceptions))}
	for _, p := range loaderKeys {
		prefix, isPrefix := strings.CutSuffix(p, "*")
		switch {
		case prefix == strings.ToLower(prefix):
			lower, upper := p[0], strings.ToUpper(p[:1])[0]
			m.anyCase[lower] = append(m.anyCase[lower], p)
			if upper != lower {
				m.anyCase[upper] = append(m.anyCase[upper], p)
			}
		case isPrefix:
			m.prefixes[p[0]] = append(m.prefixes[p[0]], prefix)
		default:
			m.exact[p] = true
		}
	}
	for _, name := range loaderExceptions {
		m.except[name] = true
	}
	return m
})

// AllowSet validates the --allow-key names and returns the allow set.
func AllowSet(allow []string) (map[string]bool, error) {
	set := make(map[string]bool, len(allow))
	for _, name := range allow {
		if !Valid(name) {
			return nil, fmt.Errorf("--allow-key %s is not a variable name", QuoteName(name))
		}
		set[name] = true
	}
	return set, nil
}

// CheckDenied refuses a secret's loader keys that are not allowed.
func CheckDenied(vars map[string]string, allowed map[string]bool) error {
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

// DeclaredSet validates the declared key names (--only-key and the keys of
// --only-keys-from) and returns the set. It is nil when none was declared,
// and then every key is accepted.
func DeclaredSet(names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	set := make(map[string]bool, len(names))
	for _, name := range names {
		if !Valid(name) {
			return nil, fmt.Errorf("--only-key %s is not a variable name", QuoteName(name))
		}
		set[name] = true
	}
	return set, nil
}

// maxUndeclared is how many key names one refusal lists: a secret of 2,000
// undeclared keys must still give one readable line.
const maxUndeclared = 5

// CheckDeclared refuses a secret's keys outside the declared set, whether
// or not the environment already has them: the set says what a secret may
// carry. A nil set accepts every key.
func CheckDeclared(vars map[string]string, declared map[string]bool) error {
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
	if len(bad) == 1 {
		return fmt.Errorf("key %s is not declared by --only-key or --only-keys-from and is refused; declare it, or remove it from the secret", list)
	}
	return fmt.Errorf("keys %s are not declared by --only-key or --only-keys-from and are refused; declare them, or remove them from the secret", list)
}

// operatorPrefixes are the names of secretenv's own settings that carry an
// operator's instruction about values: a template (SECRETENV_SET_NAME) or a
// file to write (SECRETENV_FILE_NAME). secretenv reads them from its own
// environment before the merge, never from a secret, but a secret's key is
// passed on to the command, and a secretenv started by that command (an
// image whose entrypoint is secretenv, a script that calls it) would read
// it as an instruction: whoever writes the secret could choose where a value
// is written. --allow-key does not lift this: no app needs such a key.
var operatorPrefixes = []string{"SECRETENV_SET_", "SECRETENV_FILE_"}

// CheckOperatorKeys refuses a secret's keys that are secretenv's own
// templates or file settings (operatorPrefixes).
func CheckOperatorKeys(vars map[string]string) error {
	var bad []string
	for k := range vars {
		if len(k) > 10 && k[:10] == "SECRETENV_" { // one compare for the 2,000 keys that are not
			for _, p := range operatorPrefixes {
				if strings.HasPrefix(k, p) {
					bad = append(bad, k)
				}
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("key %s is a secretenv setting that only the operator's environment may give (a template or a file path), never a secret; remove it from the secret", strings.Join(bad, ", "))
}
