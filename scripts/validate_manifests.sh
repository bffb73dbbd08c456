#!/usr/bin/env bash
# Validates every Kubernetes manifest in deploy/ offline against the API schemas kubernetes-validate ships
# (--strict: unknown fields are errors), and checks that kustomization.yaml lists files that exist.
# Creates its own small environment in .venv/k8s on first use. `make validate-manifests` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.37.0
VENV=.venv/k8s
STAMP=$VENV/.installed-kubernetes-validate-$VERSION
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -f "$STAMP" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "kubernetes-validate==$VERSION"
    touch "$STAMP"
fi

mapfile -t manifests < <(find deploy -type f \( -name '*.yaml' -o -name '*.yml' \) ! -name 'kustomization.yaml' \
    ! -name 'kustomization.yml' | sort)
[ ${#manifests[@]} -gt 0 ] || { echo "no manifests under deploy/" >&2; exit 1; }
"$VENV/bin/kubernetes-validate" --strict --quiet "${manifests[@]}"

"$VENV/bin/python" - <<'PY'
import sys
from pathlib import Path

import yaml

failed = False
for kustomization in sorted(Path("deploy").rglob("kustomization.yaml")):
    listed = yaml.safe_load(kustomization.read_text()).get("resources", [])
    for resource in listed:
        if not (kustomization.parent / resource).exists():
            print(f"{kustomization}: lists {resource}, which does not exist", file=sys.stderr)
            failed = True
    unlisted = sorted(p.name for p in kustomization.parent.glob("*.yaml")
                      if p.name != "kustomization.yaml" and p.name not in listed)
    print(f"{kustomization}: {len(listed)} resources; applied on their own: {', '.join(unlisted) or 'none'}")
sys.exit(1 if failed else 0)
PY
echo "validate-manifests: ${#manifests[@]} manifests valid (kubernetes-validate --strict, Kubernetes $VERSION schemas)"
