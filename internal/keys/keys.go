package keys

import (
	"fmt"
	"slices"
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

// Quote quotes a key for an error message, shortened so that a key that
// is really a pasted value cannot fill the terminal.
func Quote(key string) string {
	const max = 64
	if len(key) > max {
		return fmt.Sprintf("%q…", key[:max])
	}
	return fmt.Sprintf("%q", key)
}

// CheckNames returns an error naming every key that cannot become an
// environment variable: a bad name, or a value holding a NUL byte, which
// execve cannot pass.
func CheckNames(vars map[string]string) error {
	var bad, nul []string
	for k, v := range vars {
		if !Valid(k) {
			bad = append(bad, Quote(k))
		} else if strings.IndexByte(v, 0) >= 0 {
			nul = append(nul, k)
		}
	}
	switch {
	case len(bad) > 0:
		slices.Sort(bad)
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

// AllowSet validates the --allow-key names and returns the allow set.
func AllowSet(allow []string) (map[string]bool, error) {
	set := make(map[string]bool, len(allow))
	for _, name := range allow {
		if !Valid(name) {
			return nil, fmt.Errorf("--allow-key %s is not a variable name", Quote(name))
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
			return nil, fmt.Errorf("--only-key %s is not a variable name", Quote(name))
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
	return fmt.Errorf("key %s is not declared by --only-key or --only-keys-from and is refused; declare it, or remove it from the secret", list)
}
