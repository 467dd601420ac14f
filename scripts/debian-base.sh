#!/usr/bin/env bash
# Makes a Debian bookworm base image offline from Debian's own packages (debootstrap; no registry needed) and
# imports it into the local node's image store, so Dockerfiles written for the Docker Hub bases build here:
#
#   scripts/debian-base.sh                      debian:bookworm-slim (minbase)
#   scripts/debian-base.sh --python             python:3.11-slim too: python3 (3.11 in bookworm) with `python`,
#                                               pip and Flask (python3-flask), and pip allowed to install, so the
#                                               seed's Flask Dockerfile (`RUN pip install -r requirements.txt`
#                                               with flask) builds without PyPI
#   scripts/debian-base.sh --postgres           postgres:15 too: Debian's postgresql-15 with an entrypoint that does
#                                               what the official image's does for the usual variables
#                                               (POSTGRES_PASSWORD required, POSTGRES_USER, POSTGRES_DB, PGDATA;
#                                               initdb on first start, listening on every address, password auth)
#   MIRROR=http://deb.debian.org/debian scripts/debian-base.sh
#   ROOTFS_CACHE=/var/cache/troupe/rootfs scripts/debian-base.sh ...
#                                               keeps each root filesystem tarball in that folder and reuses it
#                                               (named by its packages and this script), so a second run needs no
#                                               debootstrap
#   scripts/debian-base.sh --no-slim --python   python:3.11-slim alone (no debian:bookworm-slim)
#   ROOTFS_CACHE=... scripts/debian-base.sh --no-import --no-slim --python --postgres
#                                               only fills the cache (no node needed): .ci/run does this while the
#                                               build runs
#
# Needs root, debootstrap (apt-get install -y debootstrap) and, unless --no-import, a running node (./troupe up).
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(rootfs ...) stops the script too

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
MIRROR=${MIRROR:-http://deb.debian.org/debian}
CACHE=${ROOTFS_CACHE:-}
PYTHON=0
POSTGRES=0
IMPORT=1
SLIM=1
for a in "$@"; do
    case "$a" in
        --python) PYTHON=1 ;;
        --postgres) POSTGRES=1 ;;
        --no-import) IMPORT=0 ;;
        --no-slim) SLIM=0 ;;
        *) echo "debian-base.sh: unknown argument $a (--python, --postgres, --no-slim, --no-import)" >&2; exit 2 ;;
    esac
done
[ "$IMPORT" = 1 ] || [ -n "$CACHE" ] || { echo "debian-base.sh: --no-import needs ROOTFS_CACHE (where the tarballs go)" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "debian-base.sh: needs root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian-base.sh: needs debootstrap (apt-get install -y debootstrap)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/troupe-debian-base.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# rootfs NAME INCLUDE-LIST [FIXUP-FUNCTION]: prints the path of a root filesystem tarball of debootstrap's minbase
# with those packages, made now or taken from ROOTFS_CACHE
rootfs() {
    local name=$1 include=$2 fixup=${3:-} key tar dir
    # named by what makes it: the packages, the mirror and this script (a changed fix-up makes a new one)
    key=$( { printf '%s|%s|%s|' "$include" "$fixup" "$MIRROR"; cat "$0"; } | sha256sum | cut -c1-12)
    tar="${CACHE:-$WORK}/bookworm-$name-$key.tar"
    if [ -s "$tar" ]; then echo "rootfs $name from the cache ($tar)" >&2; echo "$tar"; return; fi
    [ -z "$CACHE" ] || mkdir -p "$CACHE"
    dir="$WORK/$name"
    echo "debootstrap bookworm ($name${include:+: $include}) into $dir" >&2
    debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$dir" "$MIRROR" >"$WORK/debootstrap-$name.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap-$name.log" >&2; exit 1; }
    # what the slim images leave out: the apt lists and caches
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
    # documentation, manuals and translations, as the slim images leave them out (the copyright files stay)
    find "$dir/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
    rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
    # the mounts a container gets are made by the runtime, not kept in the image
    for d in proc sys dev; do rm -rf "${dir:?}/$d"; mkdir -p "$dir/$d"; done
    [ -z "$fixup" ] || "$fixup" "$dir"
    # written beside its final name and renamed, so a cache never holds half a tarball
    tar --numeric-owner -C "$dir" -cf "$tar.part.$$" . && mv "$tar.part.$$" "$tar"
    rm -rf "$dir"
    [ -s "$tar" ] || { echo "debian-base.sh: no tarball made for $name" >&2; exit 1; }
    echo "$tar"
}

# pip refuses to install into Debian's Python (PEP 668); the python images allow it
python_fixup() { rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED; }

# the package's own cluster (initdb runs in the container, on its volume) and the JIT, which needs LLVM (a
# third of the size; PostgreSQL runs queries without it when llvmjit.so is absent)
postgres_fixup() {
    rm -rf "$1"/var/lib/postgresql/15 "$1"/etc/postgresql/15 "$1"/usr/lib/postgresql/15/lib/llvmjit* "$1"/usr/lib/postgresql/15/lib/bitcode \
        "$1"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "$1"/usr/lib/x86_64-linux-gnu/libz3.so*
}

import() { # tarball name:tag
    [ "$IMPORT" = 1 ] || return 0
    "$TROUPE" import "$1" "$2"
    echo "imported $2" >&2
}

# (assignments, so a failure in the substitution stops the script: set -e with inherit_errexit)
if [ "$SLIM" = 1 ]; then
    tar=$(rootfs slim "")
    import "$tar" debian:bookworm-slim
fi

if [ "$PYTHON" = 1 ]; then
    tar=$(rootfs python "python3,python3-pip,python3-flask,python-is-python3" python_fixup)
    import "$tar" python:3.11-slim
fi

if [ "$POSTGRES" = 1 ]; then
    tar=$(rootfs postgres "postgresql-15" postgres_fixup)
    import "$tar" troupe-base/postgres:15
    [ "$IMPORT" = 1 ] || exit 0
    mkdir -p "$WORK/pg"
    cat > "$WORK/pg/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# What the official postgres image's entrypoint does for the usual variables, on Debian's postgresql-15.
set -e
BIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}
USER_NAME=${POSTGRES_USER:-postgres}
if [ "${1:-}" = postgres ]; then
    shift
    mkdir -p "$PGDATA" /run/postgresql
    chown -R postgres:postgres "$PGDATA" /run/postgresql
    chmod 700 "$PGDATA"
    as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        if [ -z "${POSTGRES_PASSWORD:-}" ]; then
            echo "Error: Database is uninitialized and superuser password is not specified." >&2
            echo "       You must specify POSTGRES_PASSWORD to a non-empty value for the superuser." >&2
            exit 1
        fi
        printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
        chown postgres /tmp/pwfile
        as_postgres "$BIN/initdb" -D "$PGDATA" -U "$USER_NAME" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 >/dev/null
        rm -f /tmp/pwfile
        echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
        echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
        db=${POSTGRES_DB:-$USER_NAME}
        if [ "$db" != postgres ]; then
            echo "CREATE DATABASE \"$db\";" | as_postgres "$BIN/postgres" --single -D "$PGDATA" postgres >/dev/null
        fi
        echo "PostgreSQL init process complete; ready for start up."
    fi
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" -D "$PGDATA" "$@"
fi
exec "$@"
SH
    cat > "$WORK/pg/Dockerfile" <<'DF'
FROM troupe-base/postgres:15
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
COPY --chmod=755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
DF
    "$TROUPE" build -q -t postgres:15 "$WORK/pg" >/dev/null
    echo "built postgres:15" >&2
fi
