#!/usr/bin/env bash
# Stops the throwaway Postgres servers the tests started under .data/test-postgres* (those that run).
set -u
root="$(cd "$(dirname "$0")/.." && pwd)/.data"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for dir in "$root"/test-postgres*; do
    [ -f "$dir/postmaster.pid" ] || continue
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null)
    else
        "$bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null
    fi
done
exit 0
