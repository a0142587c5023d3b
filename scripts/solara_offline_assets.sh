#!/usr/bin/env bash
# Put the JavaScript packages the Solara dashboard asks its CDN for into the virtual
# environment's share/solara/cdn, so that the dashboard works on a machine without access to a
# CDN: Solara serves a file from that folder when it is there and fetches it otherwise (and a
# failed fetch leaves charts blank). solara-assets (a Python dependency) brings most packages;
# vega@5, vega-lite@5, vega-embed@6 and katex@0.16.9 are requested by these exact names, so
# they come from the npm registry (`npm pack`) and are unpacked under those names.
#
# Usage: scripts/solara_offline_assets.sh [VENV]   (default .venv; idempotent)
set -euo pipefail
VENV="${1:-.venv}"
PACKAGES=("vega@5" "vega-lite@5" "vega-embed@6" "katex@0.16.9")

prefix="$("$VENV/bin/python" -c 'import sys; print(sys.prefix)')"
cdn="$prefix/share/solara/cdn"
mkdir -p "$cdn"
if ! command -v npm >/dev/null 2>&1; then
    echo "solara_offline_assets: npm not found; install Node.js and npm first" >&2
    exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for spec in "${PACKAGES[@]}"; do
    dest="$cdn/$spec"
    if [ -f "$dest/package.json" ]; then
        continue
    fi
    rm -rf "$work/pack" && mkdir -p "$work/pack"
    tarball="$(cd "$work/pack" && npm pack --silent "$spec" | tail -n 1)"
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    tar -xzf "$work/pack/$tarball" -C "$dest.tmp" --strip-components=1
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
    echo "solara_offline_assets: $spec -> $dest"
done
