#!/usr/bin/env bash
# Install Debian's Virtuoso Open Source (virtuoso-t) for the Virtuoso remote-store tests
# (tests/test_virtuoso.py), only when it is missing. Idempotent: when `virtuoso-t` is on PATH it
# changes nothing and runs no apt-get at all.
# The package asks for the system database's dba password through debconf: it is preseeded (the
# tests never use that system database; they start virtuoso-t on a private ini and database in a
# temp folder), and the system service the package starts is stopped and disabled again, so
# nothing listens on port 8890/1111 afterwards.
# Run as root, or with sudo available. VIRTUOSO_DBA_PASSWORD overrides the preseeded password.
set -euo pipefail

if command -v virtuoso-t >/dev/null 2>&1; then
    echo "install-virtuoso: virtuoso-t present ($(command -v virtuoso-t))"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "install-virtuoso: need root (or sudo) to install virtuoso-opensource" >&2
        exit 2
    fi
    sudo="sudo"
fi
pw="${VIRTUOSO_DBA_PASSWORD:-dba}"
echo "install-virtuoso: installing virtuoso-opensource (Debian package)"
export DEBIAN_FRONTEND=noninteractive
printf '%s\n' \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password $pw" \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password $pw" \
    | $sudo debconf-set-selections
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends virtuoso-opensource
# The package starts a system-wide server; the tests want none running.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now virtuoso-opensource-7 >/dev/null 2>&1 || true
elif [ -x /etc/init.d/virtuoso-opensource-7 ]; then
    $sudo /etc/init.d/virtuoso-opensource-7 stop >/dev/null 2>&1 || true
fi
command -v virtuoso-t >/dev/null
echo "install-virtuoso: virtuoso-t installed ($(command -v virtuoso-t))"
