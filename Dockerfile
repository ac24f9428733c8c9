# loadgen for ECS (loadgen fleet --tasks N): static binaries on scratch,
# with CA certificates for HTTPS targets. See README, "Several machines".
# /loadgen is the lean build (no AWS SDK: a shard's load needs none, and it
# saves about 12 MB per task); it hands commands that call AWS to
# /loadgen-aws, the full build (README, "Two builds").
#
#   docker build -t loadgen .
#   docker run --rm loadgen -c 10 -t 10S https://example.com/
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN make build VERSION=${VERSION}

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/bin/loadgen /src/bin/loadgen-aws /
# No shell and no user database: run as an unprivileged numeric user.
USER 65534:65534
ENTRYPOINT ["/loadgen"]
CMD ["version"]
