#!/usr/bin/env bash
# Makes sure the base images the Dockerfiles and docker-compose.yml name exist in the local Docker engine:
# present already, else pulled, else (no registry reachable, as on the CI machines) made locally under the same
# official names, so the Dockerfiles stay standard:
#   a debootstrap'd Debian bookworm (minbase) with this machine's trusted CA certificates and pip's `cert`
#   setting, then python:3.10-slim / python:3.11-slim (this machine's own CPython builds, found like the Makefile
#   finds them, copied to /usr/local as in the official images), redis:7-bookworm and postgres:15-bookworm
#   (Debian's packages, with an entrypoint honouring POSTGRES_USER/PASSWORD/DB like the official one).
# Usage: scripts/base_images.sh [--local]   (--local: skip the pull attempt)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES=(python:3.10-slim python:3.11-slim redis:7-bookworm postgres:15-bookworm)
BASE=utility-assistant/bookworm-base:local
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PULL=1; [ "${1:-}" = "--local" ] && PULL=0

have() { docker image inspect "$1" >/dev/null 2>&1; }
build() { docker build "$@" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }; }
log() { echo "[base-images] $*"; }

missing=()
for image in "${IMAGES[@]}"; do
    if have "$image"; then continue; fi
    if [ "$PULL" = 1 ] && timeout 120 docker pull -q "$image" >/dev/null 2>&1; then log "pulled $image"; continue; fi
    missing+=("$image")
done
[ ${#missing[@]} -eq 0 ] && { log "all present: ${IMAGES[*]}"; exit 0; }
log "no registry reachable for ${missing[*]}: making them locally"

work=$(mktemp -d /var/tmp/base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! have "$BASE"; then
    command -v debootstrap >/dev/null || {
        [ "$(id -u)" = 0 ] || { echo "debootstrap is missing: sudo apt-get install -y debootstrap" >&2; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1 || {
            apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }; }
    log "debootstrap bookworm (minbase) from $MIRROR"
    rootfs=$work/rootfs
    debootstrap --variant=minbase \
        --include=ca-certificates,netbase,tzdata,libssl3,libffi8,libsqlite3-0,libuuid1,libgdbm6,libgdbm-compat4,libbz2-1.0,liblzma5,libreadline8,libncursesw6,zlib1g,libexpat1,libtirpc3,libnsl2 \
        bookworm "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    # What the official Debian images do: no services started by package scripts, apt without recommends,
    # the same apt sources as the official image, no caches.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90no-recommends"
    cat >"$rootfs/etc/apt/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
SRC
    # HTTPS from containers goes through the same trust as this machine's: its CA bundle, and pip told to use it.
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/etc/pip.conf"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/var/log/*.log
    tar -C "$rootfs" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$BASE" >/dev/null
    rm -rf "$rootfs"
    log "made $BASE"
fi

python_image() {   # python_image 3.10 : this machine's CPython 3.10 as python:3.10-slim
    local minor=$1 python prefix ctx=$work/python$1
    if [ "$minor" = 3.10 ]; then python=$(scripts/find-python310.sh); else
        python=$(command -v "python$minor" || true)
        [ -n "$python" ] || python=$(pyenv root 2>/dev/null)/versions/$(pyenv versions --bare | grep -E "^$minor\.[0-9]+$" | sort -t. -k3 -n | tail -1)/bin/python$minor
    fi
    prefix=$("$python" -c 'import sys; print(sys.base_prefix)')
    log "python:$minor-slim from $prefix"
    mkdir -p "$ctx/usr"
    # The interpreter, its shared library and the standard library; not its site-packages (pip comes from
    # ensurepip), tests, IDLE, Tk or the static library.
    tar -C "$prefix" -c --exclude="lib/python$minor/site-packages/*" --exclude="lib/python$minor/test" \
        --exclude="lib/python$minor/idlelib" --exclude="lib/python$minor/tkinter" \
        --exclude="lib/python$minor/lib-dynload/_tkinter*" --exclude='*.a' --exclude='__pycache__' \
        "bin/python$minor" lib include | tar -C "$ctx/usr" -x
    mv "$ctx/usr" "$ctx/local"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY local/ /usr/local/
RUN ldconfig && cd /usr/local/bin && ln -s python$minor python3 && ln -s python$minor python \\
 && python$minor -m ensurepip --default-pip >/dev/null && ln -sf pip3 pip \\
 && python -c "import ssl, sqlite3, ctypes, zlib, bz2, lzma, uuid; print('python', __import__('sys').version)"
ENV LANG=C.UTF-8 PYTHON_VERSION=$("$python" -c 'import platform; print(platform.python_version())')
CMD ["python3"]
DOCKERFILE
    build -t "python:$minor-slim" "$ctx"
}

for image in "${missing[@]}"; do
    case "$image" in
    python:3.10-slim) python_image 3.10 ;;
    python:3.11-slim) python_image 3.11 ;;
    redis:7-bookworm)
        log "redis:7-bookworm from Debian's redis-server"
        mkdir -p "$work/redis" && cp scripts/base_images/redis.Dockerfile "$work/redis/Dockerfile"
        build -t "$image" --build-arg BASE="$BASE" "$work/redis" ;;
    postgres:15-bookworm)
        log "postgres:15-bookworm from Debian's postgresql-15"
        mkdir -p "$work/postgres" && cp scripts/base_images/postgres.Dockerfile "$work/postgres/Dockerfile" \
            && cp scripts/base_images/postgres-entrypoint.sh "$work/postgres/docker-entrypoint.sh"
        build -t "$image" --build-arg BASE="$BASE" "$work/postgres" ;;
    *) echo "no local recipe for $image" >&2; exit 1 ;;
    esac
done
log "ready: ${IMAGES[*]}"
