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
#
# Needs root, debootstrap (apt-get install -y debootstrap) and a running node (./troupe up).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PYTHON=0
POSTGRES=0
for a in "$@"; do
    case "$a" in
        --python) PYTHON=1 ;;
        --postgres) POSTGRES=1 ;;
        *) echo "debian-base.sh: unknown argument $a (--python, --postgres)" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "debian-base.sh: needs root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian-base.sh: needs debootstrap (apt-get install -y debootstrap)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/troupe-debian-base.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

make_base() { # dir include-list
    local dir=$1 include=$2
    echo "debootstrap bookworm ($include) into $dir" >&2
    debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$dir" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
    # what the slim images leave out: the apt lists and caches
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
    # the mounts a container gets are made by the runtime, not kept in the image
    for d in proc sys dev; do rm -rf "${dir:?}/$d"; mkdir -p "$dir/$d"; done
}

import() { # dir name:tag
    tar --numeric-owner -C "$1" -cf "$WORK/rootfs.tar" .
    "$TROUPE" import "$WORK/rootfs.tar" "$2"
    echo "imported $2" >&2
}

make_base "$WORK/slim" ""
import "$WORK/slim" debian:bookworm-slim

if [ "$PYTHON" = 1 ]; then
    make_base "$WORK/python" "python3,python3-pip,python3-flask,python-is-python3"
    # pip refuses to install into Debian's Python (PEP 668); the python images allow it
    rm -f "$WORK"/python/usr/lib/python3*/EXTERNALLY-MANAGED
    import "$WORK/python" python:3.11-slim
fi

if [ "$POSTGRES" = 1 ]; then
    make_base "$WORK/postgres" "postgresql-15"
    import "$WORK/postgres" troupe-base/postgres:15
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
