package main

// AWS Lambda's managed runtimes (Node.js, Python, Java, Ruby, .NET) start
// through an exec wrapper when AWS_LAMBDA_EXEC_WRAPPER names one: their
// bootstrap runs
//
//	exec -- "$AWS_LAMBDA_EXEC_WRAPPER" /var/lang/bin/python3.12 ... /var/runtime/bootstrap.py
//
// so the wrapper gets the runtime's whole command line as its arguments,
// with no "--" and no flags of its own. That command could begin with a
// word that is one of secretenv's subcommands or looks like a flag; so
// secretenv recognises the situation itself, and then reads every argument
// as the command, and its settings from the environment only (SECRET_ID,
// SECRETENV_TIMEOUT, ...).

// lambdaWrapperVar is the variable Lambda reads the wrapper's path from.
const lambdaWrapperVar = "AWS_LAMBDA_EXEC_WRAPPER"

// lambdaRuntimeVar is set by Lambda in every runtime's environment (managed
// runtimes with or without a wrapper, OS-only runtimes, container images):
// the address of the Runtime API. secretenv reads it to refuse --watch there.
const lambdaRuntimeVar = "AWS_LAMBDA_RUNTIME_API"

// commandLine returns the arguments for run: argv without the program name,
// or, when secretenv is started as the Lambda exec wrapper, "--" followed by
// all of them. It is the wrapper exactly when argv[0] is the variable's
// value, as the bootstrap passes it; a `secretenv check` run by the
// function's own code (argv[0] "secretenv" from PATH) still parses flags.
func commandLine(argv, environ []string) []string {
	if len(argv) == 0 {
		return nil
	}
	if w, ok := lookupEnv(environ, lambdaWrapperVar); ok && w != "" && argv[0] == w {
		return append([]string{"--"}, argv[1:]...)
	}
	return argv[1:]
}
