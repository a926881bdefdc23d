#!/usr/bin/env bash
# Stops the throwaway Postgres the tests started under .data/test-postgres (if it runs).
set -u
dir="$(cd "$(dirname "$0")/.." && pwd)/.data/test-postgres"
[ -f "$dir/postmaster.pid" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null)
else
    "$bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null
fi
