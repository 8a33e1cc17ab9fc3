# Release builds of secretenv: static, reproducible linux/amd64 and
# linux/arm64 binaries in dist/, with SHA-256 checksums.
#
#   make release                 # dist/secretenv-linux-{amd64,arm64}[-unstripped], dist/SHA256SUMS
#   make reproducible            # release, then rebuild elsewhere and compare hashes
#   make release VERSION=v1.2.3
#
# Each architecture gets two binaries from the same source and flags:
# secretenv-linux-ARCH is stripped (-s -w) for images, and
# secretenv-linux-ARCH-unstripped keeps the symbol table, so that
# `govulncheck -mode=binary` can check which vulnerable functions are
# reachable, not only which module versions are linked.
#
# The bytes depend only on the source, the Go version and VERSION:
# -trimpath drops local paths, -buildvcs=false drops the git state (VERSION
# carries what people need), CGO_ENABLED=0 makes a static binary with no
# host C toolchain in it, and GOAMD64/GOARM64 are pinned so the host's
# environment cannot change the instruction set.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST ?= dist
SRC ?= .
ARCHES := amd64 arm64

BUILD_ENV := CGO_ENABLED=0 GOOS=linux GOAMD64=v1 GOARM64=v8.0 GOFLAGS=-mod=readonly
BUILD_FLAGS := -trimpath -buildvcs=false

.PHONY: release reproducible clean

release:
	@rm -rf '$(DIST)' && mkdir -p '$(DIST)'
	@set -e; out="$$(cd '$(DIST)' && pwd)"; cd '$(SRC)'; \
	for arch in $(ARCHES); do \
		$(BUILD_ENV) GOARCH=$$arch go build $(BUILD_FLAGS) -ldflags '-s -w -X main.version=$(VERSION)' -o "$$out/secretenv-linux-$$arch" . ; \
		$(BUILD_ENV) GOARCH=$$arch go build $(BUILD_FLAGS) -ldflags '-X main.version=$(VERSION)' -o "$$out/secretenv-linux-$$arch-unstripped" . ; \
	done
	@cd '$(DIST)' && sha256sum secretenv-linux-* > SHA256SUMS
	@echo "secretenv $(VERSION) in $(DIST)/:" && cat '$(DIST)/SHA256SUMS'

# reproducible builds again from a copy of the source in another directory
# with an empty build cache, and fails unless every hash matches.
reproducible: release
	@set -e; tmp="$$(mktemp -d)"; trap 'chmod -R u+w "$$tmp"; rm -rf "$$tmp"' EXIT; \
	mkdir "$$tmp/src"; git ls-files -z -- go.mod go.sum '*.go' | xargs -0 cp --parents -t "$$tmp/src/"; \
	GOCACHE="$$tmp/cache" $(MAKE) --no-print-directory release SRC="$$tmp/src" DIST="$$tmp/dist" VERSION='$(VERSION)' >/dev/null; \
	if cmp -s '$(DIST)/SHA256SUMS' "$$tmp/dist/SHA256SUMS"; then \
		echo "reproducible: a second build from $$tmp/src with an empty cache has the same hashes"; \
	else \
		echo "reproducible: FAILED, the hashes differ (or a source file changed during the build):" >&2; diff '$(DIST)/SHA256SUMS' "$$tmp/dist/SHA256SUMS" >&2; exit 1; \
	fi

clean:
	rm -rf '$(DIST)'
