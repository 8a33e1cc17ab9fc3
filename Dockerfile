# syntax=docker/dockerfile:1
# The secretenv image: FROM scratch, holding only /secretenv, for
#
#   COPY --from=IMAGE /secretenv /usr/local/bin/secretenv     (a Dockerfile)
#   initContainers: command ["/secretenv", "copy-self", "/shared"]  (Kubernetes)
#
# It has no CA bundle, no shell and no libc: it is a carrier, not a place to
# run secretenv against AWS (TLS needs the app image's system roots).
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg VERSION=v1.2.3 --build-arg GO_VERSION=1.26.8 -t IMAGE .
#
# The binary comes from the Makefile's own `binary` recipe, the one `make
# release` runs: same environment, flags and VERSION, so with the same Go
# version (GO_VERSION; the release workflow passes the one it built dist/
# with) the image holds the bytes SHA256SUMS lists for secretenv-linux-ARCH.

ARG GO_VERSION=1.26.8

# The builder runs on the build machine's own platform and cross-compiles
# for TARGETARCH: no emulation, and Go's output does not depend on the host.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# The whole module tree (see .dockerignore), not only the root's *.go.
COPY . .
ARG TARGETARCH
ARG VERSION=dev
RUN make binary GOOS=linux GOARCH=${TARGETARCH} VERSION=${VERSION} OUT=/out/secretenv

FROM scratch
COPY --from=build /out/secretenv /secretenv
# copy-self only needs to write into the shared volume (an emptyDir is
# world-writable); it needs no root.
USER 65534:65534
ENTRYPOINT ["/secretenv"]
