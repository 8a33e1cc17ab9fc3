#!/usr/bin/env bash
# bench/watch.sh: the supervisor's memory and CPU while it watches (issue
# 20). It builds secretenv, starts moto_server on a free loopback port with
# one secret, runs `secretenv --watch --watch-interval 1s -- sleep ...` and
# samples the supervisor's VmRSS (/proc/PID/status) and CPU time
# (/proc/PID/stat utime+stime) every SAMPLE seconds for DURATION seconds,
# then prints the first, last and largest RSS and the CPU per poll.
#
# Usage: bash bench/watch.sh            (DURATION=600 SAMPLE=5; ten minutes)
#        DURATION=60 bash bench/watch.sh
#
# Not part of the test suite: a ten-minute run proves there is no growth,
# which no short test can.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-600}
SAMPLE=${SAMPLE:-5}
INTERVAL=${INTERVAL:-1s}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -- "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/secretenv" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -p "$port" -H 127.0.0.1 >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
python3 - <<'PY'
import boto3, json, os
boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).create_secret(
    Name="bench-watch", SecretString=json.dumps({"DB_PASSWORD": "x" * 32, "API_KEY": "y" * 40}))
PY

SECRET_ID=bench-watch "$work/secretenv" --watch --watch-interval "$INTERVAL" -- sleep $((DURATION + 60)) &
sup=$!
pids+=("$sup")
sleep 2
hz=$(getconf CLK_TCK)
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$sup/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$sup/stat"; }
first=$(rss) cpu0=$(cpu) t0=$(date +%s) max=0
echo "t(s) VmRSS(KiB) cpu(ticks)"
while :; do
	now=$(($(date +%s) - t0))
	r=$(rss)
	((r > max)) && max=$r
	echo "$now $r $(($(cpu) - cpu0))"
	((now >= DURATION)) && break
	sleep "$SAMPLE"
done
last=$(rss) cpu1=$(cpu)
polls=$(awk -v d="$DURATION" -v i="${INTERVAL%s}" 'BEGIN {print int(d / i)}')
awk -v f="$first" -v l="$last" -v m="$max" -v c=$((cpu1 - cpu0)) -v hz="$hz" -v p="$polls" -v d="$DURATION" 'BEGIN {
	printf "VmRSS first %.1f MiB, last %.1f MiB, max %.1f MiB over %d s; CPU %.2f s, %.1f ms per poll (%d polls at 1 s)\n",
		f/1024, l/1024, m/1024, d, c/hz, 1000*c/hz/p, p }'
