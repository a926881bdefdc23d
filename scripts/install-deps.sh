#!/usr/bin/env bash
# Installs the Debian packages the cluster and its tests need, if any is missing.
# Idempotent: does nothing (and needs no network) when everything is there.
set -euo pipefail

# Running needs Postgres (server binaries for the embedded default), libpq and zlib; the tests also drive the
# dashboard in a headless browser, cut TCP connections with `ss -K` and put nodes in network namespaces with
# `ip netns` (the fault campaign; both from iproute2).
packages=(postgresql libpq-dev zlib1g-dev pkg-config)
[ "${1:-}" = "--test" ] && packages+=(chromium iproute2)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
