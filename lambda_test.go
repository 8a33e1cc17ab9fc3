package main

import (
	"slices"
	"testing"
)

func TestCommandLine(t *testing.T) {
	t.Parallel()
	const wrapper = "/opt/bin/secretenv"
	inLambda := []string{"AWS_LAMBDA_EXEC_WRAPPER=" + wrapper, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}
	tests := []struct {
		name    string
		argv    []string
		environ []string
		want    []string
	}{
		{"plain", []string{"secretenv", "--verbose", "--", "app"}, nil, []string{"--verbose", "--", "app"}},
		{"wrapper: a runtime path", []string{wrapper, "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"}, inLambda, []string{"--", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"}},
		{"wrapper: a subcommand's word", []string{wrapper, "check"}, inLambda, []string{"--", "check"}},
		{"wrapper: a flag's word", []string{wrapper, "--help"}, inLambda, []string{"--", "--help"}},
		{"wrapper: nothing to run", []string{wrapper}, inLambda, []string{"--"}},
		{"in Lambda, run by another name", []string{"secretenv", "check"}, inLambda, []string{"check"}},
		{"empty variable", []string{"", "check"}, []string{"AWS_LAMBDA_EXEC_WRAPPER="}, []string{"check"}},
		{"no argv", nil, inLambda, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := commandLine(tc.argv, tc.environ); !slices.Equal(got, tc.want) {
				t.Errorf("commandLine(%q) = %q, want %q", tc.argv, got, tc.want)
			}
		})
	}
}
