# polycart in a container: a release build in rust:slim, then only the binary on
# debian:stable-slim, running as an unprivileged user with its data in a volume.
# Not exercised by polycart's tests (no container runtime on our machines); the
# Debian package is (tests/packaging.rs).
#
#   docker build -t polycart .
#   docker run -p 8080:8080 -v polycart-data:/var/lib/polycart \
#       -e POLYCART_SECRET_KEY=$(openssl rand -hex 32) polycart

FROM rust:slim AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin polycart \
 && install -D -m 0755 target/release/polycart /out/polycart

FROM debian:stable-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system polycart \
 && useradd --system --gid polycart --home-dir /var/lib/polycart --shell /usr/sbin/nologin polycart \
 && install -d -m 0750 -o polycart -g polycart /var/lib/polycart
COPY --from=build /out/polycart /usr/bin/polycart
USER polycart
WORKDIR /var/lib/polycart
VOLUME ["/var/lib/polycart"]
ENV POLYCART_DATABASE_URL=sqlite:///var/lib/polycart/polycart.db \
    POLYCART_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/bin/polycart", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
CMD ["/usr/bin/polycart", "serve", "--addr", "0.0.0.0:8080"]
