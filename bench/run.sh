#!/usr/bin/env bash
# bench/run.sh: secretenv's start-up benchmark (issue 6). In one run on one
# machine it builds secretenv and the benchmark's own programs, starts a fast
# Secrets Manager responder (HTTP and HTTPS) and moto_server on loopback,
# times `secretenv -- true` against the Go floor and curl with hyperfine, the
# cost of 1/5/20/50 secrets and of one 64 KiB / 2,000-key secret (each also
# against the Go floor doing the same, to show what the machine allows), measures
# peak RSS and the stripped binary size, and writes bench/RESULTS.md.
#
# Usage: bash bench/run.sh        (ROUNDS=7 RUNS=40 by default; a few minutes)
#
# A/B in turns: each comparison is ROUNDS hyperfine calls, each timing every
# command RUNS times after a warm-up, with the command order rotated between
# rounds. A ratio is the median over rounds of the per-round ratio of medians,
# so a burst of load on the machine hits both sides of a ratio alike.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

ROUNDS=${ROUNDS:-7}
RUNS=${RUNS:-40}
WARMUP=${WARMUP:-5}
RSS_RUNS=${RSS_RUNS:-10}

say() { echo "bench: $*" >&2; }
die() {
	say "$*"
	exit 1
}

# --- tools -------------------------------------------------------------------
if ! command -v hyperfine >/dev/null; then
	say "installing hyperfine"
	apt-get install -y hyperfine >/dev/null 2>&1 ||
		{ apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; } ||
		die "cannot install hyperfine (apt-get install -y hyperfine)"
fi
for tool in go curl python3 moto_server; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install -y time)"

# --- clean-up: every process started here is killed at exit -------------------
work=$(mktemp -d /tmp/secretenv-bench.XXXXXX)
pgids=()
cleanup() {
	for pg in "${pgids[@]}"; do
		kill -TERM -- "-$pg" 2>/dev/null || true
	done
	for pg in "${pgids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$pg" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pg" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start runs a server in its own process group (setsid), so that cleanup can
# kill it and anything it forked.
start() {
	local log=$1
	shift
	setsid "$@" >"$log" 2>&1 </dev/null &
	pgids+=("$!")
}

# --- builds ------------------------------------------------------------------
say "building"
CGO_ENABLED=0 go build -trimpath -o "$work/secretenv" .
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/secretenv-stripped" .
CGO_ENABLED=0 go build -trimpath -o "$work/floor" ./bench/floor
CGO_ENABLED=0 go build -trimpath -o "$work/responder" ./bench/responder
stripped_size=$(stat -c %s "$work/secretenv-stripped")

# --- servers -----------------------------------------------------------------
say "starting the responder and moto_server"
start "$work/responder.out" "$work/responder" -ca "$work/ca.pem"
for _ in $(seq 100); do
	grep -q https= "$work/responder.out" 2>/dev/null && break
	sleep 0.05
done
read -r http_addr https_addr < <(sed -n 's/^http=\([^ ]*\) https=\(.*\)$/\1 \2/p' "$work/responder.out")
[ -n "${https_addr:-}" ] || die "the responder did not start: $(cat "$work/responder.out")"

moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start "$work/moto.log" moto_server -H 127.0.0.1 -p "$moto_port"
moto_url=http://127.0.0.1:$moto_port
for _ in $(seq 200); do
	curl -s -o /dev/null "$moto_url/moto-api/" && break
	sleep 0.1
done
"$work/responder" -seed "$moto_url" -seed-count 50 || die "cannot create the secrets in moto: $(tail -5 "$work/moto.log")"

# --- environments --------------------------------------------------------------
# Every command runs with only these variables (env -i): this machine's own
# AWS_* settings, such as a system AWS_CA_BUNDLE, would change what is timed.
mkdir -p "$work/home"
base=(PATH=/usr/bin:/bin HOME="$work/home" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 SECRET_ID=small-1)
http_env=("${base[@]}" AWS_ENDPOINT_URL_SECRETS_MANAGER="http://$http_addr")
tls_env=("${base[@]}" AWS_ENDPOINT_URL_SECRETS_MANAGER="https://$https_addr" AWS_CA_BUNDLE="$work/ca.pem")
moto_env=("${base[@]}" AWS_ENDPOINT_URL_SECRETS_MANAGER="$moto_url")

secretenv=$work/secretenv
floor=$work/floor
# A constant, as in bench/floor: moto reads the service and region from it.
auth='AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0'
curl_cmd() { # URL [extra curl flags]
	local url=$1
	shift
	echo "curl -sS --fail -o /dev/null $* -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: secretsmanager.GetSecretValue' -H 'Authorization: $auth' --data '{\"SecretId\":\"small-1\"}' $url/"
}
ids() { # N: --secret-id small-1 ... --secret-id small-N
	local i out=
	for i in $(seq "$1"); do out+="--secret-id small-$i "; done
	echo "$out"
}
csv() { # N: small-1,...,small-N, a list for the floor's -id
	local i out=small-1
	for i in $(seq 2 "$1"); do out+=",small-$i"; done
	echo "$out"
}

# Check that every command works (and sets what it should) before timing it.
for envname in http_env tls_env moto_env; do
	declare -n e=$envname
	env -i "${e[@]}" "$secretenv" -- sh -c '[ "$S1_K1" = value-1-1-0123456789abcdef ]' || die "secretenv failed ($envname)"
	env -i "${e[@]}" "$floor" sh -c '[ "$S1_K1" = value-1-1-0123456789abcdef ]' || die "floor failed ($envname)"
	env -i "${e[@]}" "$secretenv" --secret-id big -- sh -c '[ -n "$BIG_1999" ]' || die "big secret failed ($envname)"
	env -i "${e[@]}" "$secretenv" $(ids 50) -- sh -c '[ -n "$S50_K5" ]' || die "50 secrets failed ($envname)"
	env -i "${e[@]}" "$floor" -id "$(csv 50)" sh -c '[ -n "$S1_K1" ] && [ -n "$S50_K5" ]' || die "floor with 50 secrets failed ($envname)"
	unset -n e
done

# --- timing ------------------------------------------------------------------
# group NAME ENVNAME CMD...: ROUNDS hyperfine calls over the commands, the
# order rotated each round; JSON results in $work/NAME.*.json.
group() {
	local name=$1 envname=$2
	shift 2
	local cmds=("$@") n=$# r i
	declare -n e=$envname
	printf '%s\n' "${cmds[@]}" >"$work/$name.cmds"
	say "timing $name (${n} commands, $ROUNDS rounds of $RUNS runs)"
	for r in $(seq 0 $((ROUNDS - 1))); do
		local order=()
		for i in $(seq 0 $((n - 1))); do order+=("${cmds[$(((i + r) % n))]}"); done
		env -i "${e[@]}" hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
			--export-json "$work/$name.$r.json" "${order[@]}" >/dev/null
	done
	unset -n e
}

curl_http=$(curl_cmd "http://$http_addr")
curl_tls=$(curl_cmd "https://$https_addr" --cacert "$work/ca.pem")
curl_moto=$(curl_cmd "$moto_url")

group floor_http http_env "$secretenv -- true" "$floor true" "$curl_http"
group floor_tls tls_env "$secretenv -- true" "$floor true" "$curl_tls"
count_cmds=("$secretenv $(ids 1)-- true" "$secretenv $(ids 5)-- true" "$secretenv $(ids 20)-- true" "$secretenv $(ids 50)-- true" "$secretenv --secret-id big -- true" "$floor -id small-1 true" "$floor -id big true" "$floor -id $(csv 5) true" "$floor -id $(csv 20) true" "$floor -id $(csv 50) true")
group count_http http_env "${count_cmds[@]}"
group count_tls tls_env "${count_cmds[@]}"
ROUNDS=3 RUNS=15 group moto moto_env "$secretenv -- true" "$floor true" "$curl_moto" "$secretenv $(ids 20)-- true"

# --- peak RSS ------------------------------------------------------------------
# peak_rss ENVNAME ARGS...: the largest "Maximum resident set size" (KiB) of
# RSS_RUNS runs of ARGS.
peak_rss() {
	local envname=$1 max=0 kib
	shift
	declare -n e=$envname
	for _ in $(seq "$RSS_RUNS"); do
		kib=$(env -i "${e[@]}" /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p')
		[ "$kib" -gt "$max" ] && max=$kib
	done
	unset -n e
	echo "$max"
}
say "measuring peak RSS"
rss_one=$(peak_rss tls_env "$secretenv" -- true)
rss_50=$(peak_rss tls_env "$secretenv" $(ids 50) -- true)
rss_big=$(peak_rss tls_env "$secretenv" --secret-id big -- true)
rss_floor=$(peak_rss tls_env "$floor" true)

# --- report --------------------------------------------------------------------
say "writing bench/RESULTS.md"
export BENCH_WORK=$work ROUNDS RUNS WARMUP RSS_RUNS stripped_size rss_one rss_50 rss_big rss_floor
export BENCH_CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
export BENCH_NPROC=$(nproc) BENCH_KERNEL=$(uname -sr) BENCH_GO=$(go version)
export BENCH_HYPERFINE=$(hyperfine --version) BENCH_CURL=$(curl --version | head -1 | cut -d' ' -f1-2)
export BENCH_MOTO=$(moto_server --version 2>/dev/null || python3 -c 'import moto; print("moto", moto.__version__)')
export BENCH_REV=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
export BENCH_HTTP=$http_addr BENCH_HTTPS=$https_addr BENCH_MOTO_URL=$moto_url
python3 "$repo/bench/report.py" >"$repo/bench/RESULTS.md"
cat "$repo/bench/RESULTS.md"
