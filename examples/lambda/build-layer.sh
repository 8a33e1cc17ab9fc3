#!/bin/sh
# Builds the secretenv Lambda layers with the Makefile's reproducible recipe:
# dist/secretenv-lambda-layer-amd64.zip and -arm64.zip, each holding
# bin/secretenv, which Lambda unpacks to /opt/bin/secretenv. A release
# (make release) has the same zips, listed in SHA256SUMS.
set -eu
cd "$(dirname "$0")/../.."
exec make --no-print-directory lambda-layer
