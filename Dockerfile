# syntax=docker/dockerfile:1
# Multi-stage build: a static, pure-Go binary (modernc SQLite needs no cgo)
# in a distroless image that runs as a non-root user.
#
# The build stage runs on the builder's own platform and cross-compiles for
# the platform being built, which BuildKit passes as TARGETOS/TARGETARCH:
# the builder's by default, or each of `docker buildx build --platform
# linux/amd64,linux/arm64 .`.
#
# Production needs, at run time (APP_ENV=production is set below):
#   JWT_SECRET    the key that signs access tokens, at least 32 bytes; start-up
#                 refuses production without it.
#   DATABASE_URL  postgres://… for PostgreSQL. Unset, the server uses the
#                 embedded SQLite file in DATA_DIR (/home/nonroot/data), which
#                 must then be a mounted volume (docker run -v shopdata:/home/nonroot/data …),
#                 or the database is lost with the container; the server
#                 warns at start when DATA_DIR is not a mount of its own.
# The first admin: docker run --rm -i -e JWT_SECRET -e DATABASE_URL IMAGE \
#   user create --email admin@shop.example --role ADMIN < password-file

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .ci/run executes exactly this line (with /out swapped for a temp dir, and
# TARGETOS/TARGETARCH defaulting to `go env GOOS`/`GOARCH`).
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/shopgraph ./server
# The data folder exists in the image, owned by nonroot, so a named volume
# mounted on it starts with that owner (Docker creates a missing mount
# point as root, which nonroot, uid 65532, could not write).
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shopgraph /usr/local/bin/shopgraph
COPY --from=build --chown=65532:65532 /out/data /home/nonroot/data
ENV APP_ENV=production \
    ADDR=:8080 \
    DATA_DIR=/home/nonroot/data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/shopgraph"]
