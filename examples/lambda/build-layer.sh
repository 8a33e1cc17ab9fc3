#!/bin/sh
# Builds the secretenv Lambda layer: a zip holding bin/secretenv, which Lambda
# unpacks to /opt/bin/secretenv. ARCH is the function's architecture.
#
#   ARCH=arm64 ./build-layer.sh     # or ARCH=amd64 (Lambda's x86_64)
set -eu
ARCH=${ARCH:-arm64}
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
(cd ../.. && CGO_ENABLED=0 GOOS=linux GOARCH="$ARCH" go build -trimpath -ldflags '-s -w' -o "$work/bin/secretenv" .)
chmod 0755 "$work/bin/secretenv"
out="$PWD/secretenv-layer-$ARCH.zip"
rm -f "$out"
(cd "$work" && zip -q -X "$out" bin/secretenv)
echo "$out"
