package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestListenOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         []string
		environ      []string
		addrs        []string // the parsed addresses' text
		ready        string
		readyTimeout time.Duration
	}{
		{"off by default", nil, nil, nil, "", defaultReadyTimeout},
		{"--listen repeated, in order", []string{"--listen", ":8080", "--listen", "unix:/run/app.sock"}, nil, []string{":8080", "unix:/run/app.sock"}, "", defaultReadyTimeout},
		{"SECRETENV_LISTEN, comma-separated", nil, []string{"SECRETENV_LISTEN=127.0.0.1:80, [::1]:80,"}, []string{"127.0.0.1:80", "[::1]:80"}, "", defaultReadyTimeout},
		{"--listen beats SECRETENV_LISTEN", []string{"--listen", ":1"}, []string{"SECRETENV_LISTEN=:2"}, []string{":1"}, "", defaultReadyTimeout},
		{"--ready notify", []string{"--watch", "--listen", ":1", "--ready", "notify", "--ready-timeout", "5s"}, nil, []string{":1"}, "notify", 5 * time.Second},
		{"ready twins", nil, []string{"SECRETENV_WATCH=true", "SECRETENV_LISTEN=:1", "SECRETENV_READY=notify", "SECRETENV_READY_TIMEOUT=2m"}, []string{":1"}, "notify", 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, opts, _, err := parseArgs(append(tc.args, "--", "true"), tc.environ, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range opts.listen.addrs {
				got = append(got, a.Text)
			}
			if !slices.Equal(got, tc.addrs) || opts.listen.ready != tc.ready || opts.listen.readyTimeout != tc.readyTimeout {
				t.Errorf("got %q, ready %q %v; want %q, %q %v", got, opts.listen.ready, opts.listen.readyTimeout, tc.addrs, tc.ready, tc.readyTimeout)
			}
		})
	}
}

func TestListenOptionsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"no port", []string{"--listen", "8080"}, nil, `listen address "8080"`},
		{"twice the same", []string{"--listen", ":1", "--listen", ":1"}, nil, ":1"},
		{"bad twin", nil, []string{"SECRETENV_LISTEN=:1,nope"}, `"nope"`},
		{"ready without watch", []string{"--listen", ":1", "--ready", "notify"}, nil, "--ready needs --watch"},
		{"ready without listen", []string{"--watch", "--ready", "notify"}, nil, "--ready needs --listen"},
		{"ready unknown", []string{"--watch", "--listen", ":1", "--ready", "yes"}, nil, `ready "yes" is not notify`},
		{"timeout without ready", []string{"--watch", "--listen", ":1", "--ready-timeout", "1s"}, nil, "--ready-timeout needs --ready notify"},
		{"timeout not positive", []string{"--watch", "--listen", ":1", "--ready", "notify", "--ready-timeout", "0s"}, nil, "must be positive"},
		{"bad timeout twin", []string{"--watch", "--listen", ":1", "--ready", "notify"}, []string{"SECRETENV_READY_TIMEOUT=soon"}, `SECRETENV_READY_TIMEOUT="soon"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, _, err := parseArgs(append(tc.args, "--", "true"), tc.environ, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
