#!/bin/sh
# build-deb.sh STAGE VERSION OUTDIR: lays out an unpacked release (STAGE) with install.sh
# for Debian's standard places and packs it with dpkg-deb. The maintainer scripts are in
# this directory: postinst creates the service user and state directory and enables and
# starts the service only when check-config accepts /etc/hcalcs-agent/config.yaml, which as
# shipped it does not (the HAN port must be filled in). That file is a conffile: an upgrade
# keeps the site's edits.
set -eu
stage=$1
version=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
debarch=$(dpkg --print-architecture)
pkgroot=$(mktemp -d)
trap 'rm -rf "$pkgroot"' EXIT INT TERM

DESTDIR=$pkgroot PREFIX=/usr/lib/hcalcs-agent BINDIR=/usr/bin UNITDIR=/lib/systemd/system \
  sh "$stage/systemd/install.sh" >/dev/null
# As shipped the config must not pass check-config: nothing starts until a person fills it in.
sed 's#^\(  port: \)/dev/serial/by-id/.*#\1CHANGE-ME   \# the HAN radio module, e.g. /dev/serial/by-id/usb-FTDI_...-if00-port0#' \
  "$stage/config/examples/alfen-tcp.yaml" > "$pkgroot/etc/hcalcs-agent/config.yaml"
chmod 0640 "$pkgroot/etc/hcalcs-agent/config.yaml"
# /var/lib/hcalcs-agent belongs to the service user: postinst makes it.
rm -rf "$pkgroot/var"

install -d "$pkgroot/DEBIAN" "$pkgroot/usr/share/doc/hcalcs-agent"
cp "$stage/LICENSE" "$pkgroot/usr/share/doc/hcalcs-agent/copyright"
size=$(du -sk --exclude=DEBIAN "$pkgroot" | cut -f1)
cat > "$pkgroot/DEBIAN/control" <<CONTROL
Package: hcalcs-agent
Version: $version
Architecture: $debarch
Maintainer: hcalcs-agent maintainers <hcalcs-agent@invalid>
Depends: nodejs (>= 20), adduser | passwd
Section: misc
Priority: optional
Installed-Size: $size
Homepage: https://hcalcs-agent.invalid/
Description: HCALCS switch to EV charger current limits, with a tamper-evident log
 Reads a GB smart meter's HCALCS switch states (a DNO's load-reduction signal) over the
 HAN serial line and writes EV charger current limits over Modbus TCP/RTU. Every decision
 goes into a hash-chained SQLite event log.
CONTROL
printf '%s\n' /etc/hcalcs-agent/config.yaml /etc/udev/rules.d/99-hcalcs-agent-han.rules > "$pkgroot/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$pkgroot/DEBIAN/$s"; done

deb="$out/hcalcs-agent_${version}_$debarch.deb"
dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$pkgroot" "$deb" >/dev/null
echo "release: $deb"
