#!/bin/sh
# Installs hcalcs-agent as a service from an unpacked release in /opt/hcalcs-agent.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
id hcalcs >/dev/null 2>&1 || useradd --system --no-create-home --groups dialout --shell /usr/sbin/nologin hcalcs
install -d -o hcalcs -g hcalcs -m 0750 /var/lib/hcalcs-agent
install -d -m 0755 /etc/hcalcs-agent
[ -f /etc/hcalcs-agent/config.yaml ] || install -m 0640 -g hcalcs "$src/config/examples/alfen-tcp.yaml" /etc/hcalcs-agent/config.yaml
install -m 0644 "$src/systemd/hcalcs-agent.service" /etc/systemd/system/hcalcs-agent.service
systemctl daemon-reload
echo "Edit /etc/hcalcs-agent/config.yaml, run 'hcalcs-agent check-config', then: systemctl enable --now hcalcs-agent"
