# syntax=docker/dockerfile:1
# Multi-stage build: a static, pure-Go binary (modernc SQLite needs no cgo)
# in a distroless image that runs as a non-root user.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .ci/run executes exactly this line (with /out swapped for a temp dir).
RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags="-s -w" -o /out/shopgraph ./server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shopgraph /usr/local/bin/shopgraph
ENV APP_ENV=production \
    ADDR=:8080 \
    DATA_DIR=/home/nonroot/data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/shopgraph"]
