#!/usr/bin/env bash
# Install headless Chromium (Debian package) for browser tests.
# Idempotent: does nothing if /usr/bin/chromium already exists.
# Playwright (PyPI) drives it via executable_path="/usr/bin/chromium";
# never run `playwright install` (browser downloads are not reachable here).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "install-chromium: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium

echo "install-chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
