#!/usr/bin/env bash
# Runs the whole test suite and says what it is doing as it goes: a build
# step, the unit tests, the integration tests against a real Secrets Manager
# emulator (moto_server), and a 20-second fuzz run, each with its time.
#
# Expected time on 2 CPUs shared with other work (README): 4-7 minutes,
# measured at 4:21 with a warm Go build cache and 6:59 with a partly cold
# one; with an empty cache the build step alone takes ten minutes or more,
# as it compiles the AWS SDK six ways (race-instrumented for the tests,
# fuzz-instrumented for the fuzz run, static for the binary the integration
# tests run and for make release's four platforms). Each test phase ends
# with how many tests it ran.
set -euo pipefail
cd "$(dirname "$0")"

say() { echo "test.sh: $*" >&2; }

# phase NAME WHAT CMD...: runs CMD, announcing it, printing "still running"
# every 30 s while it runs and its time when it ends.
times=()
counts=
phase() {
	local name=$1 what=$2 start=$SECONDS beat rc=0
	shift 2
	counts=
	say "$name: $what ..."
	(while sleep 30; do say "$name: still running ($((SECONDS - start))s)"; done) &
	beat=$!
	"$@" || rc=$?
	kill "$beat" 2>/dev/null
	wait "$beat" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		say "$name: FAILED after $((SECONDS - start))s"
		exit "$rc"
	fi
	say "$name: ${counts:-ok} in $((SECONDS - start))s"
	times+=("$name $((SECONDS - start))s")
}

# moto_server is the real, independent emulator the integration tests start.
if ! command -v moto_server >/dev/null 2>&1; then
	say "installing moto[server] (the Secrets Manager emulator)"
	python3 -m pip install --quiet "moto[server]"
fi
command -v moto_server >/dev/null || { say "moto_server not on PATH after install"; exit 1; }

# build compiles, without running anything, all that the later steps need, so
# that a cold cache shows here and not as a silent test: the race-instrumented
# test binaries, the fuzz-instrumented one, and the static binary exactly as
# integration/harness_test.go builds it. The three run at once: each is
# mostly one long chain of SDK packages, so together they keep both CPUs busy.
build() {
	local out pids=() rc=0 i
	out=$(mktemp -d)
	go test -race -count=1 -exec /bin/true ./... >"$out/race" 2>&1 &
	pids+=($!)
	# -fuzz takes one package at a time: the root's FuzzMerge stands for
	# them all here (the others' fuzz builds are small).
	go test -run='^$' -fuzz=FuzzMerge -fuzztime=1x -exec /bin/true . >"$out/fuzz" 2>&1 &
	pids+=($!)
	CGO_ENABLED=0 go build -trimpath -o "$out/secretenv" . >"$out/static" 2>&1 &
	pids+=($!)
	# integration/release_test.go runs `make release`: four platforms. Its
	# compiles happen here, with the Makefile's environment and flags (they
	# are part of the build cache's key), so that integration times tests,
	# not a cold cross-compile of the AWS SDK.
	(
		for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64; do
			CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0 GOFLAGS=-mod=readonly GOOS=${target%/*} GOARCH=${target#*/} \
				go build -trimpath -buildvcs=false -o /dev/null . || exit 1
		done
	) >"$out/release" 2>&1 &
	pids+=($!)
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	[ "$rc" -eq 0 ] || cat "$out/race" "$out/fuzz" "$out/static" "$out/release" >&2
	rm -rf "$out"
	return "$rc"
}

# gotest runs go test -v with its output kept aside, so that a phase prints
# one line ("unit: 812 tests passed in 14s", subtests counted) instead of
# hundreds; on a failure it shows the output without the RUN/PASS noise.
gotest() {
	local log rc=0 pass fail skip
	log=$(mktemp)
	go test -v "$@" >"$log" 2>&1 || rc=$?
	pass=$(grep -c -e '--- PASS' "$log" || true)
	fail=$(grep -c -e '--- FAIL' "$log" || true)
	skip=$(grep -c -e '--- SKIP' "$log" || true)
	counts="$pass tests passed"
	[ "$skip" -eq 0 ] || counts="$counts, $skip skipped"
	if [ "$rc" -ne 0 ]; then
		grep -v -e '^=== \(RUN\|PAUSE\|CONT\|NAME\)' -e '--- PASS' "$log" >&2 || true
		say "$fail failed, $pass passed"
	fi
	rm -f "$log"
	return "$rc"
}

phase build "compiling the tests (race and fuzz), the static binary and the release platforms; minutes with a cold Go cache" build
# The unit tests are every package but integration: the command line in the
# root and the internal packages, none of which needs moto or the binary.
phase unit "go test -race on the root and internal/..., the packages' own tests" \
	gotest -race -shuffle=on -count=1 $(go list ./... | grep -v /integration)
phase integration "go test -race ./integration/, the built binary against moto_server; 2-4 minutes" \
	gotest -race -shuffle=on -count=1 ./integration/
# Minimizing a new interesting input can take the whole budget (the leak
# check is slow on kilobyte inputs); cap it so the time goes to fuzzing.
# The 20 s are split over the parsers of untrusted input: the whole pure
# pipeline (FuzzMerge), the secret parser's fast path against its strict
# one (FuzzParseSecret), export's dotenv read back by put (FuzzExportPut),
# the .env reader against compose-go's (FuzzDotenvCompose: what put stores
# is what Compose reads, or refused) and the operator's templates of --set
# (FuzzTemplate).
# fuzz_one PKG TARGET SECONDS: a finding writes its input under
# PKG/testdata/fuzz/TARGET and fails the phase. A run that fails without
# writing one lost a worker (go test -fuzz says "fuzzing process hung or
# terminated unexpectedly" on a loaded machine): that is tried once more.
fuzz_one() {
	local pkg=$1 target=$2 secs=$3 corpus=$1/testdata/fuzz/$2 before after
	before=$(ls "$corpus" 2>/dev/null | wc -l)
	go test -run='^$' -fuzz="^$target\$" -fuzztime="$secs" -fuzzminimizetime=1s "$pkg" && return 0
	after=$(ls "$corpus" 2>/dev/null | wc -l)
	[ "$after" -eq "$before" ] || return 1
	say "fuzz: $target stopped without a failing input; running it once more"
	go test -run='^$' -fuzz="^$target\$" -fuzztime="$secs" -fuzzminimizetime=1s "$pkg"
}
fuzz() {
	fuzz_one . FuzzMerge 5s &&
		fuzz_one . FuzzExportPut 4s &&
		fuzz_one ./internal/secret FuzzParseSecret 4s &&
		fuzz_one ./internal/dotenv FuzzDotenvCompose 4s &&
		fuzz_one ./internal/expand FuzzTemplate 3s
}
phase fuzz "FuzzMerge, FuzzExportPut, FuzzParseSecret, FuzzDotenvCompose (against Compose's own reader) and FuzzTemplate for 20s in all" fuzz
summary=$(printf '%s, ' "${times[@]}")
say "all passed in ${SECONDS}s (${summary%, })"
