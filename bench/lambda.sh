#!/usr/bin/env bash
# bench/lambda.sh: the init time secretenv adds to an AWS Lambda cold start,
# as AWS_LAMBDA_EXEC_WRAPPER (issue 22). It builds secretenv, a minimal Go
# custom runtime (bench/lambdaruntime) and the benchmark's Secrets Manager
# (bench/responder, plain HTTP), and the AWS Lambda Runtime Interface
# Emulator (aws-lambda-rie) with `go install` into a directory outside the
# module (RIE_BIN, or $RIE_DIR/aws-lambda-rie if already built). Then, RUNS
# times each, in turns, it starts a fresh aws-lambda-rie on loopback with a
# bootstrap that starts the runtime as a managed runtime's bootstrap does
# (exec "$AWS_LAMBDA_EXEC_WRAPPER" runtime... when the variable is set):
#   direct   no AWS_LAMBDA_EXEC_WRAPPER: bootstrap -> runtime
#   wrapped  AWS_LAMBDA_EXEC_WRAPPER=secretenv, SECRET_ID=small-1 served by
#            the responder: bootstrap -> secretenv (GetSecretValue) -> runtime
# invokes it twice, and records curl's time for the first invoke (the RIE
# starts the bootstrap on the first invoke, so that is the runtime's init,
# secretenv's included, plus one invoke: the cold start without the RIE's
# own start-up), for the second (warm), and the "Init Duration" of the RIE's
# REPORT line (which in this RIE times only the hand-off of the init request,
# not the runtime's init: it stays near 0.1 ms either way). It checks that
# only the wrapped runtime saw the secret, stops every process it started,
# and prints median/min/max per mode, the difference of medians, and, for
# scale, `secretenv -- /bin/true` against `/bin/true` outside the RIE, timed
# in the same turns. Figures and their reading: bench/LAMBDA.md.
#
# Usage: bash bench/lambda.sh          (RUNS=30 by default; about two minutes)
#        RIE_BIN=/path/aws-lambda-rie bash bench/lambda.sh
# Needs go, curl and python3 (for free ports); the Go module proxy, once,
# to build the RIE. Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-30}
RIE_DIR=${RIE_DIR:-/tmp/rie}
RIE_VERSION=${RIE_VERSION:-latest}

say() { echo "lambda-bench: $*" >&2; }
die() {
	say "$*"
	exit 1
}
for tool in go curl python3; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done

# --- clean-up: every process started here is killed at exit -------------------
work=$(mktemp -d /tmp/secretenv-lambda.XXXXXX)
. bench/procs.sh # the cd above put us at the repository root
# stop kills one process group started by start and waits for it.
stop() {
	kill -TERM -- "-$1" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 -- "-$1" 2>/dev/null || break
		sleep 0.02
	done
	kill -KILL -- "-$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }

# --- builds ------------------------------------------------------------------
say "building"
# secretenv as a release builds it (Makefile's binary: stripped, static).
make --no-print-directory binary GOOS=linux GOARCH="$(go env GOARCH)" OUT="$work/secretenv" VERSION=bench >/dev/null
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/lambdaruntime" ./bench/lambdaruntime
CGO_ENABLED=0 go build -trimpath -o "$work/responder" ./bench/responder
rie=${RIE_BIN:-$RIE_DIR/aws-lambda-rie}
if [ ! -x "$rie" ]; then
	say "building aws-lambda-rie@$RIE_VERSION into $RIE_DIR (outside the module)"
	(cd / && GOBIN=$RIE_DIR GOFLAGS= go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION") ||
		die "cannot build aws-lambda-rie"
fi
rie_version=$(cd / && go version -m "$rie" | awk '$1 == "mod" {print $2 "@" $3}')

# The bootstrap of a managed runtime, as integration/lambda_test.go has it:
# the wrapper's path as argv[0], then the runtime's command line.
cat >"$work/bootstrap" <<'SH'
#!/bin/bash
if [ -z "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  exec "$@"
fi
exec -- "$AWS_LAMBDA_EXEC_WRAPPER" "$@"
SH
chmod +x "$work/bootstrap"

# --- the responder ------------------------------------------------------------
start "$work/responder.out" "$work/responder" -ca "$work/ca.pem"
for _ in $(seq 100); do
	grep -q silent= "$work/responder.out" 2>/dev/null && break
	sleep 0.05
done
http_addr=$(sed -n 's/^http=\([^ ]*\) .*/\1/p' "$work/responder.out")
[ -n "$http_addr" ] || die "the responder did not start: $(cat "$work/responder.out")"

# --- one cold start ------------------------------------------------------------
# coldstart MODE prints "COLD_MS WARM_MS RIE_INIT_MS" for one fresh RIE:
# COLD_MS is curl's time for the first invoke (the RIE starts the bootstrap
# on the first invoke, so this is the runtime's init, secretenv's included,
# plus the invoke), WARM_MS the time for a second invoke, and RIE_INIT_MS
# the "Init Duration" of the RIE's REPORT line.
base=(PATH=/usr/bin:/bin HOME="$work" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
	AWS_REGION=us-east-1 AWS_LAMBDA_FUNCTION_TIMEOUT=30 LOG_LEVEL=error)
coldstart() {
	local mode=$1 env=("${base[@]}") rport aport log=$work/rie.log
	if [ "$mode" = wrapped ]; then
		env+=(AWS_LAMBDA_EXEC_WRAPPER="$work/secretenv" SECRET_ID=small-1
			AWS_ENDPOINT_URL_SECRETS_MANAGER="http://$http_addr")
	fi
	rport=$(freeport)
	aport=$(freeport)
	start "$log" env -i "${env[@]}" "$rie" \
		--runtime-interface-emulator-address "127.0.0.1:$rport" \
		--runtime-api-address "127.0.0.1:$aport" \
		"$work/bootstrap" "$work/lambdaruntime"
	# Wait until the RIE listens (a GET elsewhere is a 404 and starts
	# nothing), so that its own start-up is not timed.
	local url=http://127.0.0.1:$rport
	for _ in $(seq 1000); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/" 2>/dev/null)" != 000 ] && break
		sleep 0.005
	done
	local inv=$url/2015-03-31/functions/function/invocations cold warm
	cold=$(curl -s -o "$work/out1" -w '%{time_total}' -XPOST "$inv" -d '{}')
	warm=$(curl -s -o "$work/out2" -w '%{time_total}' -XPOST "$inv" -d '{}')
	for _ in $(seq 100); do
		[ "$(grep -c 'REPORT RequestId' "$log")" -ge 2 ] && break
		sleep 0.01
	done
	stop "$pg"
	local want='{"secret":false}' out
	[ "$mode" = wrapped ] && want='{"secret":true}'
	for out in "$(cat "$work/out1")" "$(cat "$work/out2")"; do
		[ "$out" = "$want" ] || die "$mode: the invocation answered '$out', not '$want': $(tail -5 "$log")"
	done
	local init
	init=$(sed -n 's/.*Init Duration: \([0-9.]*\) ms.*/\1/p' "$log")
	[ -n "$init" ] || die "$mode: no Init Duration in the RIE's output: $(tail -5 "$log")"
	echo "$cold $warm $init" | awk '{printf "%.2f %.2f %s\n", $1 * 1000, $2 * 1000, $3}'
}

# standalone prints "SECRETENV_MS TRUE_MS": one `secretenv -- /bin/true` and
# one `/bin/true` with the wrapped mode's variables, outside the RIE, for
# comparison with bench/RESULTS.md on the same machine and moment.
standalone() {
	local env=("${base[@]}" SECRET_ID=small-1 AWS_ENDPOINT_URL_SECRETS_MANAGER="http://$http_addr") t0 t1 t2
	t0=$(now_ns)
	env -i "${env[@]}" "$work/secretenv" -- /bin/true || die "secretenv -- /bin/true failed"
	t1=$(now_ns)
	env -i "${env[@]}" /bin/true
	t2=$(now_ns)
	echo "$(((t1 - t0) / 1000)) $(((t2 - t1) / 1000))" | awk '{printf "%.2f %.2f\n", $1 / 1000, $2 / 1000}'
}

# --- runs, in turns ------------------------------------------------------------
say "$RUNS cold starts each, direct and wrapped in turns ($rie_version)"
coldstart direct >/dev/null # a warm-up of each, for the page cache
coldstart wrapped >/dev/null
: >"$work/direct" && : >"$work/wrapped" && : >"$work/standalone"
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then order="direct wrapped"; else order="wrapped direct"; fi
	for m in $order; do coldstart "$m" >>"$work/$m"; done
	standalone >>"$work/standalone"
done

# --- figures ------------------------------------------------------------------
stats() { # column file -> "median min max"
	cut -d' ' -f"$1" "$2" | sort -g | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f %.2f %.2f", m, a[1], a[NR]}'
}
echo "aws-lambda-rie: $rie_version; $RUNS cold starts per mode; $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
printf '%-8s %-26s %-26s %-26s\n' mode "cold invoke ms (med/min/max)" "warm invoke ms" "RIE Init Duration ms"
for m in direct wrapped; do
	printf '%-8s %-26s %-26s %-26s\n' "$m" "$(stats 1 "$work/$m")" "$(stats 2 "$work/$m")" "$(stats 3 "$work/$m")"
done
read -r dc _ _ <<<"$(stats 1 "$work/direct")"
read -r wc _ _ <<<"$(stats 1 "$work/wrapped")"
read -r dw _ _ <<<"$(stats 2 "$work/direct")"
read -r ww _ _ <<<"$(stats 2 "$work/wrapped")"
awk -v dc="$dc" -v wc="$wc" -v dw="$dw" -v ww="$ww" 'BEGIN {printf "secretenv adds (difference of medians): cold invoke %.2f ms, warm invoke %.2f ms\n", wc - dc, ww - dw}'
echo "outside the RIE, same variables (med/min/max ms): secretenv -- /bin/true $(stats 1 "$work/standalone"); /bin/true $(stats 2 "$work/standalone"); load $(cut -d' ' -f1-3 /proc/loadavg)"
