#!/usr/bin/env bash
# Makes a Debian bookworm base image offline from Debian's own packages (debootstrap; no registry needed) and
# imports it into the local node's image store, so Dockerfiles written for the Docker Hub bases build here:
#
#   scripts/debian-base.sh                      debian:bookworm-slim (minbase)
#   scripts/debian-base.sh --python             python:3.11-slim too: python3 (3.11 in bookworm) with `python`,
#                                               pip and Flask (python3-flask), and pip allowed to install, so the
#                                               seed's Flask Dockerfile (`RUN pip install -r requirements.txt`
#                                               with flask) builds without PyPI
#   MIRROR=http://deb.debian.org/debian scripts/debian-base.sh
#
# Needs root, debootstrap (apt-get install -y debootstrap) and a running node (./troupe up).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PYTHON=0
[ "${1:-}" = "--python" ] && PYTHON=1

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
