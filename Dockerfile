# sockplay's container image: a class or tutorial server.
#
#   docker build -t sockplay .
#   docker run -p 8080:8080 -v sockplay-data:/data sockplay
#   docker run -p 8080:8080 -v sockplay-data:/data sockplay \
#       --addr 0.0.0.0:8080 --host class.example.org --public-url https://class.example.org/ --trust-proxy
#
# Arguments after the image name replace CMD (all of it): repeat --addr and
# --data. Deployment: docs/deploy.md.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (the SQLite driver too): a static binary, without build paths.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/sockplay ./cmd/sockplay

FROM debian:bookworm-slim
# python3 and bubblewrap run learners' Python programs (sandboxed);
# ca-certificates for anything that speaks TLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 bubblewrap \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin sockplay \
 && mkdir /data && chown sockplay:sockplay /data
COPY --from=build /out/sockplay /usr/local/bin/sockplay
USER sockplay
# Learners' progress (progress.db).
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["sockplay"]
# Host names besides localhost and the container's own addresses: add --host NAME.
CMD ["--addr", "0.0.0.0:8080", "--data", "/data"]
