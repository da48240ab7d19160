# Parley in a container: one static binary, run as a non-root user, with
# its data directory on a volume. docs/operations.md ("Running in a
# container") says how to run it.
#
#   docker build -t parley --build-arg VERSION=$(git describe --always) .
#   docker run -d --name parley -p 2222:2222 -p 127.0.0.1:8080:8080 \
#     -v parley-data:/data parley

# The Go release go.mod names (its go line) or later.
FROM golang:1.26-bookworm AS build
WORKDIR /src
# The modules first: a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# bbolt and everything else is pure Go: a static binary, no libc needed.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/parley ./cmd/parley \
 && mkdir -p /out/data

# distroless "static": no shell, no package manager, a nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/parley /usr/local/bin/parley
# The data directory belongs to the nonroot user, so that a new named
# volume mounted there starts out writable by it.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME ["/data"]
USER 65532:65532
# SSH (users and admins) and HTTP (health, metrics, the admin API; plain
# HTTP: keep it behind a TLS proxy and off the public network).
EXPOSE 2222 8080
ENTRYPOINT ["/usr/local/bin/parley"]
CMD ["serve", "--data", "/data", "--ssh-listen", ":2222", "--http-listen", ":8080"]
