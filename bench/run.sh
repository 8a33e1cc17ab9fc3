#!/usr/bin/env bash
# bench/run.sh: secretenv's start-up benchmark (issue 6). In one run on one
# machine it builds secretenv and the benchmark's own programs, starts a fast
# Secrets Manager responder (HTTP and HTTPS) and moto_server on loopback,
# times `secretenv -- true` against the Go floor, curl and chamber (a peer, when
# its source is at $CHAMBER_SRC) with hyperfine, the
# cost of 1/5/20/50 secrets and of one 64 KiB / 2,000-key secret (each also
# against the Go floor doing the same, to show what the machine allows), measures
# peak RSS and the stripped binary size, the tail of TAIL_RUNS starts with the
# 64 KiB secret (percentiles and HTTP attempts), and the time to fail without
# credentials when the instance metadata address never answers, and writes
# bench/RESULTS.md.
#
# Usage: bash bench/run.sh        (ROUNDS=7 RUNS=40 TAIL_RUNS=300 by default;
#                                  about ten minutes)
#
# chamber (segmentio/chamber, MIT) is built from its unmodified source at
# CHAMBER_SRC, by default ../shared/peers/chamber beside the project root
# (see that directory's README); without it the row is skipped with a note.
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
TAIL_RUNS=${TAIL_RUNS:-300}
CHAMBER_SRC=${CHAMBER_SRC:-$repo/../shared/peers/chamber}

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
. bench/procs.sh # the cd above put us at the repository root

# --- builds ------------------------------------------------------------------
say "building"
CGO_ENABLED=0 go build -trimpath -o "$work/secretenv" .
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/secretenv-stripped" .
CGO_ENABLED=0 go build -trimpath -o "$work/floor" ./bench/floor
CGO_ENABLED=0 go build -trimpath -o "$work/responder" ./bench/responder
stripped_size=$(stat -c %s "$work/secretenv-stripped")
chamber=
chamber_note="not measured: no chamber source at $CHAMBER_SRC"
if [ -f "$CHAMBER_SRC/go.mod" ]; then
	say "building chamber from $CHAMBER_SRC"
	if (cd "$CHAMBER_SRC" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/chamber" .); then
		chamber=$work/chamber
		# The version is in the peers' README (the copy has no .git).
		version=$(sed -n 's/^| `chamber\/` |[^|]*| *\([^ |]*\) *|.*/\1/p' "$CHAMBER_SRC/../README.md" 2>/dev/null | head -1)
		chamber_note="chamber ${version:-(version unknown)}, built from its source with CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'"
	else
		chamber_note="not measured: chamber did not build from $CHAMBER_SRC"
	fi
fi
say "chamber: $chamber_note"

# --- servers -----------------------------------------------------------------
say "starting the responder and moto_server"
start "$work/responder.out" "$work/responder" -ca "$work/ca.pem"
for _ in $(seq 100); do
	grep -q silent= "$work/responder.out" 2>/dev/null && break
	sleep 0.05
done
read -r http_addr https_addr silent_addr < <(sed -n 's/^http=\([^ ]*\) https=\([^ ]*\) silent=\(.*\)$/\1 \2 \3/p' "$work/responder.out")
[ -n "${silent_addr:-}" ] || die "the responder did not start: $(cat "$work/responder.out")"

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
# chamber reads the same secret through its Secrets Manager backend, with its
# own endpoint variable.
base+=(CHAMBER_SECRET_BACKEND=SECRETSMANAGER)
http_env=("${base[@]}" AWS_ENDPOINT_URL_SECRETS_MANAGER="http://$http_addr" CHAMBER_AWS_SECRETS_MANAGER_ENDPOINT="http://$http_addr")
tls_env=("${base[@]}" AWS_ENDPOINT_URL_SECRETS_MANAGER="https://$https_addr" CHAMBER_AWS_SECRETS_MANAGER_ENDPOINT="https://$https_addr" AWS_CA_BUNDLE="$work/ca.pem")
moto_env=("${base[@]}" AWS_ENDPOINT_URL_SECRETS_MANAGER="$moto_url" CHAMBER_AWS_SECRETS_MANAGER_ENDPOINT="$moto_url")
# No credentials at all, and the instance metadata address the responder's
# silent listener: the SDK's last credential source never answers.
nocreds_env=(PATH=/usr/bin:/bin HOME="$work/home" AWS_REGION=us-east-1 SECRET_ID=small-1
	AWS_ENDPOINT_URL_SECRETS_MANAGER="http://$http_addr" AWS_EC2_METADATA_SERVICE_ENDPOINT="http://$silent_addr")

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
	if [ -n "$chamber" ]; then
		env -i "${e[@]}" "$chamber" exec small-1 -- sh -c '[ "$S1_K1" = value-1-1-0123456789abcdef ]' || die "chamber failed ($envname)"
	fi
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

chamber_cmd=()
[ -n "$chamber" ] && chamber_cmd=("$chamber exec small-1 -- true")
group floor_http http_env "$secretenv -- true" "$floor true" "$curl_http" "${chamber_cmd[@]}"
group floor_tls tls_env "$secretenv -- true" "$floor true" "$curl_tls" "${chamber_cmd[@]}"
count_cmds=("$secretenv $(ids 1)-- true" "$secretenv $(ids 5)-- true" "$secretenv $(ids 20)-- true" "$secretenv $(ids 50)-- true" "$secretenv --secret-id big -- true" "$floor -id small-1 true" "$floor -id big true" "$floor -id $(csv 5) true" "$floor -id $(csv 20) true" "$floor -id $(csv 50) true")
group count_http http_env "${count_cmds[@]}"
group count_tls tls_env "${count_cmds[@]}"
ROUNDS=3 RUNS=15 group moto moto_env "$secretenv -- true" "$floor true" "$curl_moto" "$secretenv $(ids 20)-- true"

# --- the tail and no credentials ------------------------------------------------
say "timing the tail: $TAIL_RUNS starts each with the 64 KiB secret, secretenv and the floor in turns"
BENCH_TAIL_ENV=$(printf '%s\n' "${http_env[@]}") BENCH_SECRETENV=$secretenv BENCH_FLOOR=$floor TAIL_RUNS=$TAIL_RUNS \
	python3 "$repo/bench/tail.py" "$work/tail.json"
say "timing no credentials with a silent instance metadata address"
env -i "${nocreds_env[@]}" hyperfine -N -i --style none --runs 5 --export-json "$work/nocreds.json" "$secretenv -- true" >/dev/null
nocreds_out=$(env -i "${nocreds_env[@]}" "$secretenv" -- true 2>&1) && die "secretenv succeeded without credentials"
[[ $nocreds_out == *"no AWS credentials"* ]] || die "no-credentials run did not say so: $nocreds_out"

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

# --- start-up cost, load-independent ---------------------------------------------
# Figures a loaded machine does not move: package initialisation
# (GODEBUG=inittrace=1: packages, bytes, allocations), minor page faults
# (median of RSS_RUNS), and instructions under callgrind when valgrind is
# installed (a secretenv that execs cannot be counted, so `check` stands in
# for the fetch).
say "measuring start-up cost (inittrace, page faults, instructions)"
inits() { # ARGS...: "packages bytes allocs" of one run's init trace
	GODEBUG=inittrace=1 "$@" 2>&1 >/dev/null | awk '/^init /{n++; b+=$8; a+=$10} END {print n+0, b+0, a+0}'
}
faults() { # ENVNAME ARGS...: median minor page faults of RSS_RUNS runs
	local envname=$1
	shift
	declare -n e=$envname
	for _ in $(seq "$RSS_RUNS"); do
		env -i "${e[@]}" /usr/bin/time -f '%R' "$@" 2>&1 >/dev/null | tail -1
	done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
	unset -n e
}
instructions() { # ENVNAME ARGS...: instructions counted by callgrind, or "-"
	local envname=$1
	shift
	declare -n e=$envname
	if command -v valgrind >/dev/null; then
		# Without async preemption: callgrind can abort on the runtime's
		# SIGURG. Up to three tries, as it still can on other signals.
		local n= _
		for _ in 1 2 3; do
			n=$(env -i "${e[@]}" GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$@" 2>&1 >/dev/null |
				sed -n 's/.*Collected : //p')
			[ -n "$n" ] && break
		done
		echo "${n:--}"
	else
		echo -
	fi
	unset -n e
}
ca_env=("${http_env[@]}" AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt)
[ -f /etc/ssl/certs/ca-certificates.crt ] || ca_env=("${http_env[@]}")
export init_secretenv=$(inits "$work/secretenv-stripped" --version) init_floor=$(inits "$work/floor" -h)
export faults_version=$(faults http_env "$work/secretenv-stripped" --version) faults_floor_h=$(faults http_env "$work/floor" -h)
export faults_check=$(faults http_env "$work/secretenv-stripped" check) faults_check_ca=$(faults ca_env "$work/secretenv-stripped" check)
export ir_version=$(instructions http_env "$work/secretenv-stripped" --version) ir_floor_h=$(instructions http_env "$work/floor" -h)
export ir_check=$(instructions http_env "$work/secretenv-stripped" check) ir_check_ca=$(instructions ca_env "$work/secretenv-stripped" check)
export ca_certs=$(grep -c BEGIN /etc/ssl/certs/ca-certificates.crt 2>/dev/null || echo 0)

# --- report --------------------------------------------------------------------
say "writing bench/RESULTS.md"
export BENCH_WORK=$work ROUNDS RUNS WARMUP RSS_RUNS TAIL_RUNS stripped_size rss_one rss_50 rss_big rss_floor
export BENCH_CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
export BENCH_NPROC=$(nproc) BENCH_KERNEL=$(uname -sr) BENCH_GO=$(go version)
export BENCH_HYPERFINE=$(hyperfine --version) BENCH_CURL=$(curl --version | head -1 | cut -d' ' -f1-2)
export BENCH_MOTO=$(moto_server --version 2>/dev/null || python3 -c 'import moto; print("moto", moto.__version__)')
export BENCH_REV=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
export BENCH_CHAMBER_NOTE=$chamber_note
export BENCH_LOAD="$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"
export BENCH_HTTP=$http_addr BENCH_HTTPS=$https_addr BENCH_MOTO_URL=$moto_url
python3 "$repo/bench/report.py" >"$repo/bench/RESULTS.md"
cat "$repo/bench/RESULTS.md"
