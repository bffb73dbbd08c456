#!/usr/bin/env bash
# Prints the path of a working Python 3.10 interpreter (Rasa 3.6 needs Python >=3.8,<3.11).
# Looks on PATH first, then in pyenv; exits 1 with what to install when there is none.
set -euo pipefail

works() { "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; }

for candidate in python3.10 python3 python; do
    if path=$(command -v "$candidate" 2>/dev/null) && works "$path"; then
        echo "$path"; exit 0
    fi
done

if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
        path="$(pyenv root)/versions/$version/bin/python3.10"
        if works "$path"; then echo "$path"; exit 0; fi
    done
fi

cat >&2 <<'MSG'
No Python 3.10 found. Rasa Open Source 3.6 runs only on Python 3.8-3.10.
Install one of:
  - pyenv:   pyenv install 3.10.13
  - Debian/Ubuntu: apt install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
then run the command again.
MSG
exit 1
