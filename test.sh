#!/usr/bin/env bash
# Runs the whole test suite: unit tests, fuzz seeds, a short fuzz run, and the
# integration tests against a real Secrets Manager emulator (moto_server).
set -euo pipefail
cd "$(dirname "$0")"

# moto_server is the real, independent emulator the integration tests start.
if ! command -v moto_server >/dev/null 2>&1; then
	echo "test.sh: installing moto[server] (the Secrets Manager emulator)" >&2
	python3 -m pip install --quiet "moto[server]"
fi
command -v moto_server >/dev/null || { echo "test.sh: moto_server not on PATH after install" >&2; exit 1; }

go test -race -shuffle=on -count=1 ./...
# Minimizing a new interesting input can take the whole budget (the leak
# check is slow on kilobyte inputs); cap it so the 20 s go to fuzzing.
go test -run='^$' -fuzz=FuzzMerge -fuzztime=20s -fuzzminimizetime=2s .
