// The pure parts around the uplink: which gateway id and prefix it uses, what the state
// topics and discovery documents say, and the uplink's line in `status`.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { deriveGatewayId, identityOf, systemSources } from '../../../agent/uplink/gateway-id.js';
import { discoveryTopics, stateTopics } from '../../../agent/uplink/topics.js';
import { formatUplinkStatus, uplinkStatus } from '../../../agent/uplink/status-line.js';
import type { UplinkSnapshot } from '../../../agent/uplink/snapshot.js';
import { describe, initialState, step } from '../../../agent/core/index.js';
import { T0, garageConfig as garage } from '../../helpers/garage.js';
import { chargerStatus } from '../../helpers/fakes.js';

// The charger with no switch bound and no restore delay: a start holds a bound charger at its
// reduced current until the meter speaks, and these tests are about the owner's cap alone.
const garageConfig = { ...garage, bindings: [], restore: { ...garage.restore, maxDelayMs: 0 } };
import { mqttConfig } from '../../helpers/uplink-child.js';

t.test('gateway id: machine-id first, host name as fallback, always topic-safe', async (t) => {
  const src = (mid: string | undefined, host: string) => ({ machineId: () => mid, hostname: () => host });
  t.equal(deriveGatewayId(src('3F2A9C0B71DE4c1e9a1b2c3d4e5f6a7b\n', 'gw')), '3f2a9c0b71de');
  t.equal(deriveGatewayId(src(undefined, 'Garage GW.local')), 'garage-gw-local');
  t.equal(deriveGatewayId(src('not-hex', 'a/b#c+d')), 'a-b-c-d');
  t.equal(deriveGatewayId(src('', '///')), 'unnamed');
  const ids = identityOf(mqttConfig({ url: 'mqtt://b' }), src('0123456789abcdef', 'x'));
  t.same(ids, { gatewayId: '0123456789ab', clientId: 'hcalcs-0123456789ab', prefix: 'hcalcs/0123456789ab' });
  t.same(identityOf(mqttConfig({ url: 'mqtt://b', gatewayId: 'site17', topicPrefix: 'acme/fleet/site17', clientId: 'c1' }), src(undefined, 'x')), {
    gatewayId: 'site17',
    clientId: 'c1',
    prefix: 'acme/fleet/site17',
  });
});

t.test('gateway id from this machine: /etc/machine-id if it can be read, and the OS host name', async (t) => {
  const mid = existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8') : undefined;
  t.equal(systemSources.machineId(), mid);
  t.equal(systemSources.hostname(), hostname());
  t.match(deriveGatewayId(), /^[a-z0-9_-]{1,64}$/, 'a topic-safe id from whatever this machine has');
});

t.test('state topics from the core view and the runtime snapshot', async (t) => {
  let s = step(garageConfig, initialState(garageConfig, 1), { type: 'tick' }, T0).state;
  s = step(garageConfig, s, { type: 'owner-manual-limit', chargerId: 'garage', limitA: 16 }, T0 + 1).state;
  const view = describe(garageConfig, s, T0 + 2);
  const snap = {
    linkUp: true,
    chargers: {
      garage: { ...chargerStatus('garage'), connected: true, lastError: null, lastReading: { vehicleState: 'C' as const, currentsA: [15.94, 16.04, 0.01] } },
    },
  };
  const topics = new Map(stateTopics('p', view, snap));
  t.same([...topics.keys()].sort(), ['p/alarms', 'p/charger/garage', 'p/link'], 'no switch topic before a switch is heard of');
  t.same(JSON.parse(topics.get('p/charger/garage')!), {
    id: 'garage',
    limitA: 16,
    explanation: view.chargers[0]!.explanation,
    targetA: 16,
    manualLimitA: 16,
    restore: null,
    connected: true,
    lastError: null,
    measuredA: 16,
    currentsA: [15.9, 16, 0],
    vehicleState: 'C',
  });
  const noSnap = new Map(stateTopics('p', view, undefined));
  t.match(JSON.parse(noSnap.get('p/charger/garage')!), { connected: null, measuredA: null }, 'unknown, not false, before the runtime saved a snapshot');
  t.same(
    stateTopics('p', view, snap),
    stateTopics('p', describe(garageConfig, s, T0 + 60_000), snap),
    'the same state a minute later gives the same payloads (nothing sent again)',
  );
});

t.test('Home Assistant discovery: one sensor per charger limit and current and per switch', async (t) => {
  const docs = discoveryTopics({
    discoveryPrefix: 'homeassistant',
    gatewayId: 'gw1',
    prefix: 'hcalcs/gw1',
    version: '1.2.3',
    chargerIds: ['garage', 'my.drive'],
    switchIdxs: [2],
  });
  t.same(
    docs.map(([topic]) => topic),
    [
      'homeassistant/sensor/hcalcs_gw1/garage_limit/config',
      'homeassistant/sensor/hcalcs_gw1/garage_measured/config',
      'homeassistant/sensor/hcalcs_gw1/my_drive_limit/config',
      'homeassistant/sensor/hcalcs_gw1/my_drive_measured/config',
      'homeassistant/sensor/hcalcs_gw1/switch_2/config',
    ],
  );
  const measured = JSON.parse(docs[1]![1]);
  t.match(measured, {
    state_topic: 'hcalcs/gw1/charger/garage',
    value_template: '{{ value_json.measuredA }}',
    availability_topic: 'hcalcs/gw1/status',
    payload_available: 'online',
    payload_not_available: 'offline',
    unit_of_measurement: 'A',
    device_class: 'current',
    device: { identifiers: ['hcalcs_gw1'], sw_version: '1.2.3' },
  });
  t.equal(new Set(docs.map(([, p]) => JSON.parse(p).unique_id)).size, docs.length, 'unique ids');
});

t.test('the uplink line in status', async (t) => {
  const now = T0 + 10_000;
  const cfg = mqttConfig({ url: 'mqtts://fleet:8883' });
  const snap: UplinkSnapshot = {
    pid: 1,
    url: 'mqtts://fleet:8883',
    prefix: 'hcalcs/gw1',
    gatewayId: 'gw1',
    connected: true,
    cursor: { id: 41, hash: 'h' },
    headId: 44,
    backlog: 3,
    lastAckAtMs: T0 + 9000,
    lastConnectAtMs: T0,
    lastDisconnectAtMs: null,
    lastError: null,
    updatedAtMs: T0 + 9500,
    stoppedAtMs: null,
  };
  t.equal(formatUplinkStatus(undefined, undefined, now), 'uplink    off');
  t.equal(formatUplinkStatus(cfg, undefined, now), 'uplink    configured, not started yet (no saved state)');
  t.equal(formatUplinkStatus(cfg, snap, now), 'uplink    connected to mqtts://fleet:8883; topics hcalcs/gw1/#; backlog 3 rows; last acked row 41 at 12:00:09Z');
  t.equal(
    formatUplinkStatus(cfg, { ...snap, connected: false, lastError: 'connect ECONNREFUSED 10.0.0.1:8883', backlog: 1 }, now),
    'uplink    NOT CONNECTED to mqtts://fleet:8883 (connect ECONNREFUSED 10.0.0.1:8883); topics hcalcs/gw1/#; backlog 1 row; last acked row 41 at 12:00:09Z',
  );
  t.match(formatUplinkStatus(cfg, { ...snap, updatedAtMs: T0 }, now), /^uplink {4}not running \(saved 12:00:00Z\)/, 'a stale snapshot is not shown as live');
  t.match(formatUplinkStatus(cfg, { ...snap, cursor: { id: 0, hash: null } }, now), /no row acked yet$/);
});

t.test('status with a saved uplink state that cannot be read: shown as never started, not an error', async (t) => {
  const cfg = mqttConfig({ url: 'mqtts://fleet:8883' });
  const unreadable = {
    loadState: () => {
      throw new SyntaxError('Unexpected token } in JSON');
    },
  };
  t.same(uplinkStatus(cfg, unreadable, T0), { line: 'uplink    configured, not started yet (no saved state)', json: null });
  t.same(uplinkStatus(undefined, unreadable, T0), { line: 'uplink    off', json: null });
});
