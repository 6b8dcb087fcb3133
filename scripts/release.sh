#!/bin/sh
# Builds the release artifacts for the machine it runs on (its CPU and Node ABI: the native
# modules better-sqlite3 and serialport are built here), into release/ (or $OUT):
#   hcalcs-agent-<version>-linux-<arch>.tar.gz   self-contained: dist, production node_modules,
#                                                the unit, systemd/install.sh (--uninstall too)
#   hcalcs-agent_<version>_<debarch>.deb         the same laid out by install.sh for Debian
#                                                (/usr/lib/hcalcs-agent, /usr/bin/hcalcs-agent),
#                                                built with dpkg-deb
# Production dependencies are copied from this checkout's node_modules and pruned (no network
# needed); RELEASE_FRESH_DEPS=1 installs them afresh with npm ci --omit=dev instead.
# DEB_COMPRESSION (default xz) is passed to dpkg-deb -Z; the CI test uses gzip for speed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/release}
cd "$root"
version=$(node -p "require('./package.json').version")
arch=$(node -p process.arch)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out"

echo "release: npm pack (builds first)"
npm pack --silent --pack-destination "$work" >/dev/null
tar -xzf "$work/hcalcs-agent-$version.tgz" -C "$work"
stage="$work/hcalcs-agent-$version"
mv "$work/package" "$stage"
cp package-lock.json "$stage/"

echo "release: production dependencies"
if [ "${RELEASE_FRESH_DEPS:-0}" = 1 ]; then
  (cd "$stage" && npm ci --omit=dev --no-audit --no-fund --silent)
else
  # Only the production packages are copied (a quarter of a development node_modules); the
  # prune then settles whatever the listing and the lock disagree on.
  # One tar pipe copies them all (a cp per package took 6 s of the release's 25).
  mkdir -p "$stage/node_modules"
  npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s|^$root/node_modules/||p" | grep -v '/node_modules/' | sort -u \
    > "$work/packages"
  tar -C node_modules -cf - -T "$work/packages" | tar -C "$stage/node_modules" -xf -
  (cd "$stage" && npm prune --omit=dev --offline --no-audit --no-fund --silent)
fi
rm -f "$stage/package-lock.json"
# prune leaves the scope directories of what it removed.
find "$stage/node_modules" -type d -empty -delete
# The bundle must run on its own: load the native modules from it.
(cd "$stage" && node -e "require('better-sqlite3')(':memory:').close(); require('@serialport/bindings-cpp')" ) \
  || { echo "release: native modules do not load from the bundle" >&2; exit 1; }
node "$stage/dist/agent/main.js" version >/dev/null
node "$root/scripts/precompile-schemas.mjs" --check "$stage/dist" >/dev/null \
  || { echo "release: the bundle's loaders do not use the precompiled schema validators" >&2; exit 1; }

tarball="$out/hcalcs-agent-$version-linux-$arch.tar.gz"
tar -czf "$tarball" -C "$work" "hcalcs-agent-$version"
echo "release: $tarball"

if command -v dpkg-deb >/dev/null 2>&1; then
  sh "$root/scripts/deb/build-deb.sh" "$stage" "$version" "$out"
else
  echo "release: dpkg-deb not found: no .deb (apt-get install dpkg-dev)"
fi
