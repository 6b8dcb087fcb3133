#!/bin/sh
# Installs (or with --uninstall removes) hcalcs-agent as a system service from an unpacked
# release or a source checkout with dist/ built. For image builders everything lands under
# DESTDIR and nothing is run on the build machine (no user, no systemctl).
#
#   sudo systemd/install.sh                       # to /opt/hcalcs-agent, hcalcs-agent in /usr/local/bin
#   sudo PREFIX=/usr/lib/hcalcs-agent BINDIR=/usr/bin systemd/install.sh
#   DESTDIR=/build/rootfs systemd/install.sh      # into an image tree
#   sudo systemd/install.sh --uninstall           # keeps /etc/hcalcs-agent and /var/lib/hcalcs-agent
#
# The unit is generated from systemd/hcalcs-agent.service with /opt/hcalcs-agent replaced by
# PREFIX. The service is enabled only once `hcalcs-agent check-config` accepts the config,
# and never started here: edit the config, check it, then systemctl start hcalcs-agent.
set -eu

PREFIX=${PREFIX:-/opt/hcalcs-agent}
BINDIR=${BINDIR:-/usr/local/bin}
SYSCONFDIR=${SYSCONFDIR:-/etc/hcalcs-agent}
UNITDIR=${UNITDIR:-/etc/systemd/system}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
STATEDIR=${STATEDIR:-/var/lib/hcalcs-agent}
DESTDIR=${DESTDIR:-}
SERVICE_USER=${SERVICE_USER:-hcalcs}
src=$(cd "$(dirname "$0")/.." && pwd)

live() { [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ]; }
have_systemd() { live && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

uninstall() {
  if have_systemd; then
    systemctl disable --now hcalcs-agent.service 2>/dev/null || true
  fi
  rm -f "$DESTDIR$UNITDIR/hcalcs-agent.service" "$DESTDIR$BINDIR/hcalcs-agent"
  rm -rf "$DESTDIR$PREFIX"
  if have_systemd; then systemctl daemon-reload; fi
  echo "removed $DESTDIR$PREFIX, $DESTDIR$BINDIR/hcalcs-agent and the unit"
  echo "kept: $DESTDIR$SYSCONFDIR (config, site profiles), $DESTDIR$UDEVDIR/99-hcalcs-agent-han.rules and $DESTDIR$STATEDIR (the event log: evidence)"
}

case "${1:-}" in
  --uninstall) uninstall; exit 0 ;;
  '') ;;
  *) echo "usage: [PREFIX=..] [BINDIR=..] [DESTDIR=..] $0 [--uninstall]" >&2; exit 64 ;;
esac

[ -f "$src/dist/agent/main.js" ] || { echo "$src/dist/agent/main.js missing: run npm run build first (or unpack a release)" >&2; exit 1; }
[ -d "$src/node_modules" ] || { echo "$src/node_modules missing: run npm ci --omit=dev first (a release bundle has it)" >&2; exit 1; }

# The program: exactly what runs, copied (not linked) so the source tree can go.
if [ "$src" != "$DESTDIR$PREFIX" ]; then
  rm -rf "$DESTDIR$PREFIX"
  install -d "$DESTDIR$PREFIX"
  for part in dist node_modules config systemd drivers agent package.json README.md ARCHITECTURE.md LICENSE; do
    [ -e "$src/$part" ] || continue
    case "$part" in
      # Only the shipped data and docs of these, never sources.
      drivers) install -d "$DESTDIR$PREFIX/drivers/charger"; cp -R "$src/drivers/charger/profiles" "$DESTDIR$PREFIX/drivers/charger/"
               for f in README.md profile-template.jsonc; do [ -f "$src/drivers/charger/$f" ] && cp "$src/drivers/charger/$f" "$DESTDIR$PREFIX/drivers/charger/"; done
               [ -f "$src/drivers/han/PROTOCOL.md" ] && install -D -m 0644 "$src/drivers/han/PROTOCOL.md" "$DESTDIR$PREFIX/drivers/han/PROTOCOL.md" ;;
      agent) [ -f "$src/agent/core/EVENTS.md" ] && install -D -m 0644 "$src/agent/core/EVENTS.md" "$DESTDIR$PREFIX/agent/core/EVENTS.md" ;;
      config) install -d "$DESTDIR$PREFIX/config"
              for f in README.md schema.json demo.yaml; do cp "$src/config/$f" "$DESTDIR$PREFIX/config/"; done
              cp -R "$src/config/examples" "$DESTDIR$PREFIX/config/" ;;
      *) cp -R "$src/$part" "$DESTDIR$PREFIX/" ;;
    esac
  done
fi

# hcalcs-agent on the PATH.
install -d "$DESTDIR$BINDIR"
cat > "$DESTDIR$BINDIR/hcalcs-agent" <<WRAPPER
#!/bin/sh
exec node "$PREFIX/dist/agent/main.js" "\$@"
WRAPPER
chmod 0755 "$DESTDIR$BINDIR/hcalcs-agent"

# The unit, for this prefix.
install -d "$DESTDIR$UNITDIR"
sed "s#/opt/hcalcs-agent#$PREFIX#g" "$src/systemd/hcalcs-agent.service" > "$DESTDIR$UNITDIR/hcalcs-agent.service"
chmod 0644 "$DESTDIR$UNITDIR/hcalcs-agent.service"

# The udev rule that gives the HAN adapter to the service user alone. Installed once: after
# that it carries the site's adapter ids (see the comments in it), so it is never replaced.
if [ ! -f "$DESTDIR$UDEVDIR/99-hcalcs-agent-han.rules" ]; then
  install -D -m 0644 "$src/systemd/99-hcalcs-agent-han.rules" "$DESTDIR$UDEVDIR/99-hcalcs-agent-han.rules"
fi

install -d -m 0755 "$DESTDIR$SYSCONFDIR" "$DESTDIR$SYSCONFDIR/profiles"
if [ ! -f "$DESTDIR$SYSCONFDIR/config.yaml" ]; then
  install -m 0640 "$src/config/examples/alfen-tcp.yaml" "$DESTDIR$SYSCONFDIR/config.yaml"
  fresh=1
else
  fresh=0
fi

if live; then
  id "$SERVICE_USER" >/dev/null 2>&1 || useradd --system --no-create-home --groups dialout --shell /usr/sbin/nologin "$SERVICE_USER"
  install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$STATEDIR"
  [ "$fresh" = 1 ] && chgrp "$SERVICE_USER" "$SYSCONFDIR/config.yaml"
else
  install -d -m 0750 "$DESTDIR$STATEDIR"
  echo "DESTDIR install: on the target create the user ($SERVICE_USER, group dialout) and chown $STATEDIR to it"
fi

if have_systemd; then
  systemctl daemon-reload
  if "$BINDIR/hcalcs-agent" check-config --config "$SYSCONFDIR/config.yaml" >/dev/null 2>&1 && [ "$fresh" = 0 ]; then
    systemctl enable hcalcs-agent.service
    echo "enabled hcalcs-agent (the config checks out); start it: systemctl start hcalcs-agent"
  else
    echo "not enabled: edit $SYSCONFDIR/config.yaml, run 'hcalcs-agent check-config', then: systemctl enable --now hcalcs-agent"
  fi
else
  echo "installed to $DESTDIR$PREFIX; edit $SYSCONFDIR/config.yaml, run 'hcalcs-agent check-config', then: systemctl enable --now hcalcs-agent"
fi
