#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with Chinese fonts (Playwright cannot download a browser here).
# Present: nothing to do. Missing and we are root with apt: install them. Otherwise: stop, naming the command.
set -euo pipefail
PACKAGES="chromium fonts-wqy-microhei"

have_browser() { command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi"; }

have_browser && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing $PACKAGES for the browser tests (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q $PACKAGES >/dev/null 2>&1 || \
        { apt-get update -q >/dev/null && apt-get install -y -q $PACKAGES >/dev/null; }
    have_browser && exit 0
    echo "apt-get ran but Chromium or the Chinese fonts are still missing." >&2
    exit 1
fi
echo "The browser tests need Chromium and Chinese fonts. Install them, then run make test again:" >&2
echo "    sudo apt-get install -y $PACKAGES" >&2
exit 1
