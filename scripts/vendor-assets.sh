#!/usr/bin/env bash
# Vendors the front-end assets served under /static/vendor/ (and embedded in the binary):
# a lean subset of the DSFR (Système de design de l'État) and htmx, fetched with
# `npm pack` at pinned versions.
#
#   scripts/vendor-assets.sh
#
# To upgrade, change the versions below, run the script, look at `git diff --stat`,
# update crates/cpom-web/static/vendor/README.md, and check the pages in a browser
# (the e2e tests do: see e2e/README.md).
set -euo pipefail

DSFR_VERSION="1.15.3"   # @gouvfr/dsfr, latest 1.x
HTMX_VERSION="2.0.11"   # htmx.org, latest 2.0.x (not 4.x: different API)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/crates/cpom-web/static/vendor"

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

fetch() { # fetch <package> <version> <dir>: unpacks the npm tarball into <dir>
    local pkg="$1" version="$2" dir="$3" tgz
    tgz="$(cd "$TMP" && npm pack --silent "$pkg@$version" 2>/dev/null | tail -n 1)"
    [[ -f "$TMP/$tgz" ]] || { echo "npm pack $pkg@$version failed" >&2; exit 1; }
    mkdir -p "$dir"
    tar -xzf "$TMP/$tgz" -C "$dir" --strip-components=1
}

# Prints the local files referenced by url(...) in a CSS file, relative to that file
# (data: URIs, absolute URLs, queries and fragments left out).
css_urls() {
    grep -o 'url([^)]*)' "$1" \
        | sed -e 's/^url(//' -e 's/)$//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
              -e 's/^["'"'"']//' -e 's/["'"'"']$//' \
        | grep -v -E '^(data:|https?:|//|/|#)' \
        | sed -e 's/[?#].*$//' \
        | sort -u
}

# ---------------------------------------------------------------- DSFR
fetch "@gouvfr/dsfr" "$DSFR_VERSION" "$TMP/dsfr"
SRC="$TMP/dsfr/dist"
OUT="$VENDOR/dsfr"
rm -rf "$OUT"
mkdir -p "$OUT/utility" "$OUT/favicon" "$OUT/doc/legal"

cp "$SRC/dsfr.min.css" "$SRC/dsfr.module.min.js" "$SRC/dsfr.nomodule.min.js" "$OUT/"
if [[ -f "$SRC/utility/utility.min.css" ]]; then
    cp "$SRC/utility/utility.min.css" "$OUT/utility/"
else
    mkdir -p "$OUT/utility/icons"
    cp "$SRC/utility/icons/icons.min.css" "$OUT/utility/icons/"
fi
cp "$SRC"/favicon/* "$OUT/favicon/"
cp "$TMP/dsfr/LICENSE.md" "$OUT/LICENSE.md"
# LICENSE.md links to the terms of use at doc/legal/cgu.md: keep that link working.
cp "$TMP/dsfr/doc/legal/cgu.md" "$OUT/doc/legal/cgu.md"
printf '%s\n' "$DSFR_VERSION" > "$OUT/VERSION"

# Everything the vendored stylesheets reference (fonts, icons), at the same relative
# paths as in the package, so that url(...) keeps resolving.
missing=0
while IFS= read -r css; do
    css_dir="$(dirname "$css")"
    while IFS= read -r ref; do
        [[ -n "$ref" ]] || continue
        rel="$(realpath -m --relative-to="$OUT" "$OUT/$css_dir/$ref")"
        case "$rel" in ../*) echo "$css references $ref outside the vendored folder" >&2; exit 1 ;; esac
        if [[ -f "$SRC/$rel" ]]; then
            mkdir -p "$OUT/$(dirname "$rel")"
            cp "$SRC/$rel" "$OUT/$rel"
        else
            echo "warning: $css references $ref, absent from the package" >&2
            missing=$((missing + 1))
        fi
    done < <(css_urls "$OUT/$css")
done < <(cd "$OUT" && find . -name '*.css' -printf '%P\n' | sort)
[[ "$missing" -eq 0 ]] || { echo "$missing missing reference(s)" >&2; exit 1; }

# ---------------------------------------------------------------- htmx
fetch "htmx.org" "$HTMX_VERSION" "$TMP/htmx"
OUT="$VENDOR/htmx"
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$TMP/htmx/dist/htmx.min.js" "$OUT/"
cp "$TMP/htmx/LICENSE" "$OUT/LICENSE"
printf '%s\n' "$HTMX_VERSION" > "$OUT/VERSION"

echo "Vendored @gouvfr/dsfr $DSFR_VERSION and htmx.org $HTMX_VERSION into ${VENDOR#"$ROOT"/}:"
for d in "$VENDOR/dsfr" "$VENDOR/htmx" "$VENDOR"; do
    printf '  %s\t%s files, %s bytes\n' "${d#"$ROOT"/}" "$(find "$d" -type f | wc -l)" "$(find "$d" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
done
