#!/bin/sh
# Installs hcalcs-agent as a service from an unpacked release in /opt/hcalcs-agent.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
id hcalcs >/dev/null 2>&1 || useradd --system --user-group --no-create-home --groups dialout --shell /usr/sbin/nologin hcalcs
install -d -o hcalcs -g hcalcs -m 0750 /var/lib/hcalcs-agent
install -d -m 0755 /etc/hcalcs-agent
[ -f /etc/hcalcs-agent/config.yaml ] || install -m 0640 -g hcalcs "$src/config/examples/alfen-tcp.yaml" /etc/hcalcs-agent/config.yaml
install -m 0644 "$src/systemd/hcalcs-agent.service" /etc/systemd/system/hcalcs-agent.service
# The udev rule is only installed once: after that it carries your adapter's ids.
[ -f /etc/udev/rules.d/99-hcalcs-agent-han.rules ] || install -m 0644 "$src/systemd/99-hcalcs-agent-han.rules" /etc/udev/rules.d/99-hcalcs-agent-han.rules
systemctl daemon-reload
echo "Edit /etc/hcalcs-agent/config.yaml and set your HAN adapter's ids in /etc/udev/rules.d/99-hcalcs-agent-han.rules"
echo "(see the comments there), run 'hcalcs-agent check-config', then: systemctl enable --now hcalcs-agent"
