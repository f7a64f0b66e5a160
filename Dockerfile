# syntax=docker/dockerfile:1

# Build: a static binary (pure-Go SQLite driver, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/backorderd ./cmd/backorderd
# The embedded SQLite file is written to the working directory: give the
# non-root user one it owns.
RUN mkdir -p /out/data

# Run: distroless static, non-root. No shell and no curl, so the health check
# is a subcommand of the binary; CA certificates and time zones are in the
# image (time zones are also embedded in the binary).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backorderd /usr/local/bin/backorderd
COPY --from=build --chown=nonroot:nonroot /out/data /data
WORKDIR /data
USER nonroot:nonroot
ENV HTTP_ADDR=:8080 LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/backorderd", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/backorderd"]
CMD ["run"]
