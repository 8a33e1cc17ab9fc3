# Release builds of secretenv: static, reproducible binaries for linux and
# darwin (amd64, arm64) in dist/, an SPDX SBOM for each, AWS Lambda layers,
# and SHA-256 checksums of all of them.
#
#   make release                 # dist/: binaries, *.spdx.json, Lambda layer zips, SHA256SUMS
#   make reproducible            # release, then rebuild elsewhere and compare hashes
#   make release VERSION=v1.2.3
#   make lambda-layer            # only dist/secretenv-lambda-layer-{amd64,arm64}.zip
#   make binary GOOS=linux GOARCH=arm64 OUT=/secretenv   # one binary (the image's Dockerfile runs this)
#
# Each platform gets two binaries from the same source and flags:
# secretenv-OS-ARCH is stripped (-s -w) for images, and
# secretenv-OS-ARCH-unstripped keeps the symbol table, so that
# `govulncheck -mode=binary` can check which vulnerable functions are
# reachable, not only which module versions are linked. The darwin builds
# are for the laptop commands (edit, put, diff, list).
#
# The bytes depend only on the source, the Go version and VERSION:
# -trimpath drops local paths, -buildvcs=false drops the git state (VERSION
# carries what people need), CGO_ENABLED=0 makes a static binary with no
# host C toolchain in it, and GOAMD64/GOARM64 are pinned so the host's
# environment cannot change the instruction set. The SBOMs take their date
# from SOURCE_DATE_EPOCH (the commit's time) and the layer zips have fixed
# timestamps, so they are reproducible too.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DIST ?= dist
SRC ?= .
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
LAYER_ARCHES := amd64 arm64

BUILD_ENV := CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0 GOFLAGS=-mod=readonly
BUILD_FLAGS := -trimpath -buildvcs=false

# binary's settings: STRIP is empty for the unstripped build.
GOOS ?= linux
GOARCH ?= amd64
STRIP ?= -s -w
OUT ?= $(DIST)/secretenv-$(GOOS)-$(GOARCH)

.PHONY: release binary lambda-layer reproducible clean

# binary is the one build recipe: release, lambda-layer and the image's
# Dockerfile all run it, so the image holds the bytes SHA256SUMS lists.
binary:
	@out='$(OUT)'; case "$$out" in /*) ;; *) out="$$PWD/$$out";; esac; mkdir -p "$$(dirname "$$out")"; \
	cd '$(SRC)' && $(BUILD_ENV) GOOS='$(GOOS)' GOARCH='$(GOARCH)' go build $(BUILD_FLAGS) -ldflags '$(STRIP) -X main.version=$(VERSION)' -o "$$out" .

release:
	@rm -rf '$(DIST)' && mkdir -p '$(DIST)'
	@set -e; out="$$(cd '$(DIST)' && pwd)"; \
	for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; \
		$(MAKE) --no-print-directory binary GOOS=$$os GOARCH=$$arch OUT="$$out/secretenv-$$os-$$arch" VERSION='$(VERSION)'; \
		$(MAKE) --no-print-directory binary GOOS=$$os GOARCH=$$arch OUT="$$out/secretenv-$$os-$$arch-unstripped" STRIP= VERSION='$(VERSION)'; \
	done; \
	tools="$$(mktemp -d)"; trap 'rm -rf "$$tools"' EXIT; \
	(cd '$(SRC)' && go build -o "$$tools/" ./internal/tools/sbom ./internal/tools/layerzip); \
	for f in "$$out"/secretenv-*; do \
		SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' "$$tools/sbom" -version '$(VERSION)' "$$f" > "$$f.spdx.json"; \
	done; \
	for arch in $(LAYER_ARCHES); do \
		"$$tools/layerzip" -o "$$out/secretenv-lambda-layer-$$arch.zip" bin/secretenv="$$out/secretenv-linux-$$arch"; \
	done
	@cd '$(DIST)' && sha256sum secretenv-* > SHA256SUMS
	@echo "secretenv $(VERSION) in $(DIST)/:" && cat '$(DIST)/SHA256SUMS'

# lambda-layer writes the layer zips alone: bin/secretenv, which Lambda
# unpacks to /opt/bin/secretenv (AWS_LAMBDA_EXEC_WRAPPER=/opt/bin/secretenv).
lambda-layer:
	@set -e; mkdir -p '$(DIST)'; out="$$(cd '$(DIST)' && pwd)"; \
	tools="$$(mktemp -d)"; trap 'rm -rf "$$tools"' EXIT; \
	(cd '$(SRC)' && go build -o "$$tools/" ./internal/tools/layerzip); \
	for arch in $(LAYER_ARCHES); do \
		$(MAKE) --no-print-directory binary GOOS=linux GOARCH=$$arch OUT="$$tools/secretenv-$$arch" VERSION='$(VERSION)'; \
		"$$tools/layerzip" -o "$$out/secretenv-lambda-layer-$$arch.zip" bin/secretenv="$$tools/secretenv-$$arch"; \
		echo "$(DIST)/secretenv-lambda-layer-$$arch.zip"; \
	done

# reproducible builds again from a copy of the source tree (every file git
# tracks or would track, subdirectories included) in another directory
# with an empty build cache, and fails unless every hash matches:
# binaries, SBOMs and layer zips.
reproducible: release
	@set -e; tmp="$$(mktemp -d)"; trap 'chmod -R u+w "$$tmp"; rm -rf "$$tmp"' EXIT; \
	mkdir "$$tmp/src"; git ls-files -z --cached --others --exclude-standard | tar --null -cf - -T - | tar -xf - -C "$$tmp/src"; \
	GOCACHE="$$tmp/cache" $(MAKE) --no-print-directory release SRC="$$tmp/src" DIST="$$tmp/dist" VERSION='$(VERSION)' SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' >/dev/null; \
	if cmp -s '$(DIST)/SHA256SUMS' "$$tmp/dist/SHA256SUMS"; then \
		echo "reproducible: a second build from $$tmp/src with an empty cache has the same hashes"; \
	else \
		echo "reproducible: FAILED, the hashes differ (or a source file changed during the build):" >&2; diff '$(DIST)/SHA256SUMS' "$$tmp/dist/SHA256SUMS" >&2; exit 1; \
	fi

clean:
	rm -rf '$(DIST)'
