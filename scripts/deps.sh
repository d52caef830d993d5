#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh - make sure the Debian packages a step needs are installed.
# Usage: deps.sh build|test.  As root, installs what is missing with
# apt-get; otherwise prints the one line to run and fails.
set -e
build="cmake make gcc pkg-config libzstd-dev liburcu-dev libsqlite3-dev libpq-dev libpg-query-dev libdw-dev libyaml-dev libjson-c-dev libcurl4-openssl-dev zlib1g-dev"
test_pkgs="python3 libpython3-dev libpython3.11-testsuite zstd postgresql postgresql-contrib python3-django python3-sqlalchemy python3-psycopg2 python3-pytest python3-pytest-django nodejs binutils nginx-light redis-server redis-tools wrk protobuf-compiler"
case "$1" in
build) want="$build" ;;
test) want="$build $test_pkgs" ;;
*) echo "usage: deps.sh build|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "whyslow: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq $missing >/dev/null
else
    echo "whyslow: missing packages; run: sudo apt-get install -y$missing" >&2
    exit 1
fi
