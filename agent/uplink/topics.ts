// What the uplink publishes besides the event rows: the retained state topics, built from
// what `status` shows (the core's view and the runtime's snapshot), and the Home Assistant
// discovery documents. Pure: the same inputs give the same topics and payloads, so a
// payload that did not change is not sent again.

import type { StatusView } from '../core/index.js';
import type { RuntimeSnapshot } from '../status-snapshot.js';

/** The part of the runtime's status snapshot (agent/status-snapshot.ts) the state topics use;
 *  a snapshot saved by another version may lack it. */
export type RuntimeSnapshotView = Partial<Pick<RuntimeSnapshot, 'linkUp' | 'chargers'>>;

export type TopicPayloads = Array<[topic: string, payload: string]>;

const round1 = (a: number) => Math.round(a * 10) / 10;

function measured(reading: unknown): { measuredA: number | null; currentsA: number[] | null; vehicleState: string | null } {
  const r = (reading ?? null) as { currentsA?: unknown; vehicleState?: unknown } | null;
  const currents = Array.isArray(r?.currentsA) ? r.currentsA.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : null;
  return {
    // One number for dashboards: the highest phase, which is what a current limit bounds.
    measuredA: currents && currents.length > 0 ? round1(Math.max(...currents)) : null,
    currentsA: currents && currents.length > 0 ? currents.map(round1) : null,
    vehicleState: typeof r?.vehicleState === 'string' ? r.vehicleState : null,
  };
}

export function stateTopics(prefix: string, view: StatusView, snapshot: RuntimeSnapshotView | undefined): TopicPayloads {
  const out: TopicPayloads = [];
  const l = view.link;
  // Times that move with every line (last line, last report) are left out: they would make
  // every topic "change" on every poll.
  out.push([
    `${prefix}/link`,
    JSON.stringify({
      transport: l.transport,
      state: l.state,
      fallback: l.fallback,
      staleSince: l.staleSinceMs === null ? null : new Date(l.staleSinceMs).toISOString(),
      holdEnd: l.holdEndMs === null ? null : new Date(l.holdEndMs).toISOString(),
    }),
  ]);
  out.push([
    `${prefix}/alarms`,
    JSON.stringify({
      count: view.alarms.length,
      alarms: view.alarms.map((a) => ({
        kind: a.kind,
        text: a.text,
        since: a.sinceMs === null ? null : new Date(a.sinceMs).toISOString(),
        ...(a.switchIdx !== undefined ? { switchIdx: a.switchIdx } : {}),
        ...(a.chargerId !== undefined ? { chargerId: a.chargerId } : {}),
      })),
    }),
  ]);
  for (const s of view.switches) {
    out.push([
      `${prefix}/switch/${s.idx}`,
      JSON.stringify({
        idx: s.idx,
        type: s.type,
        state: s.state,
        cause: s.cause,
        since: s.since,
        leaseEnd: s.leaseEnd,
        label: s.label,
        labelOk: s.labelOk,
        bound: s.bound,
        chargers: s.chargerIds,
      }),
    ]);
  }
  for (const c of view.chargers) {
    const live = snapshot?.chargers?.[c.id];
    const m = measured(live === undefined || 'disabled' in live ? null : live.lastReading);
    out.push([
      `${prefix}/charger/${c.id}`,
      JSON.stringify({
        id: c.id,
        limitA: c.appliedA,
        explanation: c.explanation,
        targetA: c.targetA,
        manualLimitA: c.manualLimitA,
        restore: c.restore === null ? null : { toA: c.restore.toA, due: c.restore.due },
        connected: live === undefined ? null : live.connected === true,
        lastError: typeof live?.lastError === 'string' ? live.lastError : null,
        ...m,
      }),
    ]);
  }
  return out;
}

export interface DiscoveryInput {
  discoveryPrefix: string;
  gatewayId: string;
  prefix: string;
  version: string;
  chargerIds: readonly string[];
  switchIdxs: readonly number[];
}

/** Retained Home Assistant MQTT discovery documents, one sensor each. */
export function discoveryTopics(d: DiscoveryInput): TopicPayloads {
  const node = `hcalcs_${d.gatewayId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const device = { identifiers: [node], name: `HCALCS gateway ${d.gatewayId}`, model: 'hcalcs-agent', sw_version: d.version };
  const availability = { availability_topic: `${d.prefix}/status`, payload_available: 'online', payload_not_available: 'offline' };
  const sensor = (object: string, name: string, stateTopic: string, template: string, extra: Record<string, unknown>): [string, string] => [
    `${d.discoveryPrefix}/sensor/${node}/${object}/config`,
    JSON.stringify({
      name,
      unique_id: `${node}_${object}`,
      object_id: `${node}_${object}`,
      state_topic: stateTopic,
      value_template: template,
      ...availability,
      device,
      ...extra,
    }),
  ];
  const out: TopicPayloads = [];
  const amps = { unit_of_measurement: 'A', device_class: 'current', state_class: 'measurement' };
  for (const id of d.chargerIds) {
    const safe = id.replace(/[^A-Za-z0-9_-]/g, '_');
    out.push(sensor(`${safe}_limit`, `${id} limit`, `${d.prefix}/charger/${id}`, '{{ value_json.limitA }}', amps));
    out.push(sensor(`${safe}_measured`, `${id} measured current`, `${d.prefix}/charger/${id}`, '{{ value_json.measuredA }}', amps));
  }
  for (const idx of d.switchIdxs) {
    out.push(sensor(`switch_${idx}`, `HCALCS switch ${idx}`, `${d.prefix}/switch/${idx}`, '{{ value_json.state }}', {}));
  }
  return out;
}
