# twiml-redirect container image.
# Build:  podman build --format docker -t twiml-redirect .     (or: docker build -t twiml-redirect .)
# Run:    podman run --rm -p 3000:3000 -e SYNTHFLOW_API_KEY=... twiml-redirect
# Two stages: the first compiles with the same dependency script a developer uses (so the image and
# a checkout build against identical Debian packages); the second holds only what the binary needs
# at run time. Works with Debian's podman/buildah 1.28: no RUN heredocs, no COPY --link.
# Needs BuildKit with docker (the default builder since Docker 23; DOCKER_BUILDKIT=1 before that):
# the compile step uses RUN --mount=type=cache, which the legacy builder rejects. buildah and
# podman support it as they are, and no "# syntax=" line is needed, so nothing is pulled for it.

# ---------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build

# The installer first, alone, so the package layer is reused until the script itself changes.
COPY scripts/install-deps /src/scripts/install-deps
RUN /src/scripts/install-deps \
 && rm -rf /var/lib/apt/lists/*

# What the compile reads, path by path (.dockerignore lets through only what the image reads), so
# an edit to the docs installed below does not recompile.
COPY CMakeLists.txt /src/CMakeLists.txt
COPY cmake /src/cmake
COPY include /src/include
COPY src /src/src
COPY config /src/config
COPY deploy/systemd /src/deploy/systemd

# ccache keeps compiled objects between builds in a cache mount (never in a layer), so a source
# edit recompiles only what changed instead of all of Asio and Beast. Prefix /usr, as the .deb:
# the binary's default config is then /etc/twiml-redirect/twiml-redirect.json.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DTWIML_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr \
 && cmake --build /build --target twiml-redirect -j"$(nproc)"

# The image holds what `cmake --install` installs (the .deb's layout, cmake/packaging.cmake), less
# what only a systemd host uses: the unit and its secrets file (a container gets its environment).
COPY README.md LICENSE /src/
COPY docs /src/docs
RUN DESTDIR=/install cmake --install /build --strip \
 && rm -r /install/usr/lib/systemd /install/etc/twiml-redirect/env \
 && /install/usr/bin/twiml-redirect --version

# Name the Debian packages that own the shared libraries the binary loads, so the runtime stage
# installs exactly those and this list cannot drift from what the code links.
RUN ldd /install/usr/bin/twiml-redirect \
    | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
    | while read -r lib; do dpkg-query -S "$lib" 2>/dev/null || dpkg-query -S "/usr$lib"; done \
    | cut -d: -f1 | sort -u > /build/runtime-packages \
 && echo "runtime packages: $(tr '\n' ' ' < /build/runtime-packages)"

# ---------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

COPY --from=build /build/runtime-packages /tmp/runtime-packages
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      ca-certificates $(cat /tmp/runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/log/* \
           /tmp/runtime-packages \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin twiml

# /usr/bin/twiml-redirect, /etc/twiml-redirect/twiml-redirect.json, /usr/share/doc/twiml-redirect/
# (README, docs, examples, and the LICENSE, whose notice must travel with every copy).
COPY --from=build /install/ /

# Every subcommand (serve, provision, check-config, healthcheck) finds the config through this,
# also when a user replaces CMD; CMD repeats it so it does not depend on the env var alone.
ENV TWIML_REDIRECT_CONFIG=/etc/twiml-redirect/twiml-redirect.json

# A numeric user so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 3000
# The service drains in-flight requests on SIGTERM and exits 0.
STOPSIGNAL SIGTERM
# The binary probes its own /healthz on localhost (port from PORT / the config): no curl needed.
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/bin/twiml-redirect", "healthcheck", "--config", "/etc/twiml-redirect/twiml-redirect.json"]

ENTRYPOINT ["/usr/bin/twiml-redirect"]
CMD ["serve", "--config", "/etc/twiml-redirect/twiml-redirect.json"]

LABEL org.opencontainers.image.title="twiml-redirect" \
      org.opencontainers.image.description="Answers Twilio voice webhooks with TwiML that dials Synthflow over SIP" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
