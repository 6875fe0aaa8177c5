#!/usr/bin/env bash
# Install what the test suite needs beyond PyPI, from Debian, only when it is missing:
#   - Debian's headless Chromium at /usr/bin/chromium (browser tests; Playwright drives it through
#     executable_path, so never `playwright install`: browser downloads are not reachable here);
#   - a headless Java runtime (owlready2's HermiT reasoner runs on `java`);
#   - python3-venv (ensurepip), without which `python3 -m venv` fails on a stock Debian.
#   - libseccomp2, which the query sandbox loads (Debian's apt depends on it: present on any Debian);
#   - libatomic1, which the node binary inside Playwright's PyPI package needs (absent from a minimal
#     Debian: found by running this command in a fresh debootstrap of bookworm).
# With --run, only what running the endpoint needs (python3-venv, libseccomp2): the README's first
# command calls it so.
# Without --run it then runs .ci/install-client-tools.sh (the client matrix: Jena, rapper, Node,
# Comunica) and .ci/install-virtuoso.sh (Debian's Virtuoso, for the remote-store tests);
# SKIP_CLIENT_TOOLS=1 leaves those out (the tests of this script set it).
# Idempotent: when everything is present it changes nothing and runs no apt-get at all.
# Run as root, or with sudo available. The README's test command calls it first.
# CHROMIUM_BIN and JAVA_BIN override where the tools are looked for (the tests use them).
set -euo pipefail

chromium_bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
java_bin="${JAVA_BIN:-$(command -v java || true)}"
python_bin="${PYTHON_BIN:-python3}"

has_lib() {  # a shared library in the system's library folders (a file test: no pipe, no ldconfig)
    local f
    for f in /lib/*/"$1" /usr/lib/*/"$1" /lib/"$1" /usr/lib/"$1"; do
        [ -e "$f" ] && return 0
    done
    return 1
}

run_only=""
if [ "${1:-}" = "--run" ]; then
    run_only=1
fi

missing=()
if [ -z "$run_only" ]; then
    if [ -x "$chromium_bin" ]; then
        echo "install-test-deps: chromium present ($chromium_bin)"
    else
        missing+=(chromium)
    fi
    if [ -n "$java_bin" ] && [ -x "$java_bin" ]; then
        echo "install-test-deps: java present ($java_bin)"
    else
        missing+=(default-jre-headless)
    fi
    if has_lib "libatomic.so.1"; then
        echo "install-test-deps: libatomic present"
    else
        missing+=(libatomic1)
    fi
fi
if has_lib "libseccomp.so.2"; then
    echo "install-test-deps: libseccomp present"
else
    missing+=(libseccomp2)
fi
if "$python_bin" -c "import ensurepip" 2>/dev/null; then
    echo "install-test-deps: python3 venv support present"
else
    missing+=(python3-venv)
fi

install_missing() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "install-test-deps: need root (or sudo) to install: ${missing[*]}" >&2
            exit 2
        fi
        sudo="sudo"
    fi
    echo "install-test-deps: installing ${missing[*]} (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

if [ "${#missing[@]}" -gt 0 ]; then
    install_missing
fi
# the client matrix's tools (Jena, rapper, Node and Comunica): its own script, idempotent too
if [ -z "$run_only" ] && [ -z "${SKIP_CLIENT_TOOLS:-}" ]; then
    bash "$(dirname "$0")/install-client-tools.sh"
    bash "$(dirname "$0")/install-virtuoso.sh"  # Virtuoso 7.2 as a remote store (tests/test_virtuoso.py)
fi
