#!/usr/bin/env bash
# bench/gate.sh: fails when start-up has become slower than the committed
# baseline. It counts the instructions secretenv executes before the point
# where it would exec (callgrind: the same count for the same binary and
# input, whatever else the machine is doing, unlike any timing), for one
# small secret over plain HTTP from bench/responder, and compares the count
# with bench/baseline-instructions:
#
#   bash bench/gate.sh            # check: exit 1 above baseline +10%
#   bash bench/gate.sh --update   # measure and write the baseline
#
# `secretenv check` stands in for `secretenv -- true`: callgrind cannot count
# a process that execs, and check runs the same load (flags, credentials,
# one GetSecretValue, parse, key rules, merge) and then prints names where
# the entrypoint would exec. The figure to compare is the smallest of three
# runs: the Go runtime's background work (scavenger, timers) adds a little
# noise, only ever upwards.
#
# Why a gate: a dependency bump or a new table built at init costs every
# container start, and no timed test sees it on a noisy machine. service/ssm
# v1.80 (+4M instructions) and secretsmanager v1.50 would each have failed it.
set -euo pipefail
cd "$(dirname "$0")/.."

limit_percent=10
baseline_file=bench/baseline-instructions
say() { echo "bench/gate: $*" >&2; }

command -v valgrind >/dev/null || {
	say "valgrind is needed (apt-get install -y valgrind)"
	exit 1
}

work=$(mktemp -d /tmp/secretenv-gate.XXXXXX)
pgid=
cleanup() {
	[ -n "$pgid" ] && kill -TERM -- "-$pgid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The release build's flags, so the count is the shipped binary's.
CGO_ENABLED=0 GOAMD64=v1 go build -trimpath -buildvcs=false -ldflags '-s -w' -o "$work/secretenv" .
CGO_ENABLED=0 go build -trimpath -o "$work/responder" ./bench/responder

setsid "$work/responder" -ca "$work/ca.pem" >"$work/responder.out" 2>&1 </dev/null &
pgid=$!
for _ in $(seq 100); do
	grep -q silent= "$work/responder.out" 2>/dev/null && break
	sleep 0.05
done
http_addr=$(sed -n 's/^http=\([^ ]*\) .*/\1/p' "$work/responder.out")
[ -n "$http_addr" ] || {
	say "the responder did not start: $(cat "$work/responder.out")"
	exit 1
}

mkdir -p "$work/home"
count() {
	# asyncpreemptoff: callgrind can abort on the runtime's SIGURG. Even so
	# a run under valgrind now and then dies of a signal (a Go crash dump,
	# exit 2): such a run's count is cut short, so it is thrown away and
	# the caller tries again.
	env -i PATH=/usr/bin:/bin HOME="$work/home" AWS_ACCESS_KEY_ID=gate AWS_SECRET_ACCESS_KEY=gate \
		AWS_REGION=us-east-1 SECRET_ID=small-1 AWS_ENDPOINT_URL_SECRETS_MANAGER="http://$http_addr" \
		GODEBUG=asyncpreemptoff=1 \
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/secretenv" check 2>"$work/valgrind.err" >/dev/null ||
		return 0
	sed -n 's/.*Collected : //p' "$work/valgrind.err"
}
best=
runs=0
for _ in 1 2 3 4 5 6 7 8 9; do
	n=$(count)
	[ -n "$n" ] || continue
	runs=$((runs + 1))
	if [ -z "$best" ] || [ "$n" -lt "$best" ]; then best=$n; fi
	[ "$runs" -eq 3 ] && break
done
[ "$runs" -eq 3 ] || {
	say "callgrind counted only $runs of 9 runs to the end; the last one's words: $(grep -v '^==' "$work/valgrind.err" | tail -3)"
	exit 1
}

if [ "${1:-}" = --update ]; then
	echo "$best" >"$baseline_file"
	say "baseline written: $best instructions before exec"
	exit 0
fi
base=$(cat "$baseline_file")
ceiling=$((base + base * limit_percent / 100))
ratio=$(awk -v a="$best" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
say "instructions before exec, one small secret: $best (baseline $base, ratio $ratio, limit +$limit_percent%)"
if [ "$best" -gt "$ceiling" ]; then
	say "FAILED: start-up costs more than $limit_percent% over $baseline_file; find what grew (bench/run.sh, GODEBUG=inittrace=1) or, if it is worth it, say why in the commit and run: bash bench/gate.sh --update"
	exit 1
fi
say "ok"
