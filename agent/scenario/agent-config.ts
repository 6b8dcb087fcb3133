// The agent's config for one scenario run: the scenario's own `config:` with what only the
// runner knows filled in (the simulated meter's bridge port, each simulated charger's port, a
// fresh event log), checked by the agent's own loader, as the agent will check it.

import { stringify } from 'yaml';
import { parseConfig } from '../../config/load.js';
import { profileFacts } from '../compose.js';
import type { Scenario } from './types.js';

export interface RigAddresses {
  /** tcp://127.0.0.1:PORT of the simulated meter's bridge (absent: the scenario names han.port). */
  hanPort?: string;
  /** Port of each simulated TCP charger, by id. */
  chargerPorts: Record<string, number>;
  eventLogPath: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems with what the scenario itself must or must not give, as `config.path: message`. */
export function configShapeProblems(s: Pick<Scenario, 'config' | 'meter' | 'chargers'>): string[] {
  const out: string[] = [];
  const han = isObj(s.config.han) ? s.config.han : {};
  if (s.meter.mode === 'simulated' && s.meter.port === undefined) {
    if (han.port !== undefined)
      out.push('config.han.port: the runner fills this in for a simulated meter on a TCP bridge; leave it out (or give rig.meter.port for a serial line)');
  } else if (han.port === undefined) {
    out.push(
      `config.han.port: is required: ${s.meter.mode === 'external' ? "the real radio module's serial device" : "the agent's end of the serial line to rig.meter.port"}`,
    );
  }
  const el = s.config.eventLog;
  if (isObj(el) && el.path !== undefined)
    out.push('config.eventLog.path: the runner gives every run its own state directory (agent.stateDir keeps one); leave it out');
  const chargers = Array.isArray(s.config.chargers) ? s.config.chargers : [];
  chargers.forEach((c, i) => {
    if (!isObj(c) || typeof c.id !== 'string') return;
    const rig = s.chargers[c.id];
    const simulatedTcp = (rig?.mode ?? 'simulated') === 'simulated' && rig?.rtu === undefined;
    if (simulatedTcp && c.transport !== undefined)
      out.push(
        `config.chargers[${i}].transport: the runner fills this in for a simulated charger; leave it out (or set rig.chargers.${c.id}.rtu or mode: external)`,
      );
    if (!simulatedTcp && c.transport === undefined)
      out.push(
        `config.chargers[${i}].transport: is required for ${rig?.mode === 'external' ? 'a real charger' : "a simulated RTU charger (the agent's end of the line)"}`,
      );
  });
  for (const id of Object.keys(s.chargers)) {
    if (!chargers.some((c) => isObj(c) && c.id === id)) out.push(`rig.chargers.${id}: no charger with this id in config.chargers`);
  }
  return out;
}

/** The completed config as an object. */
export function completeConfig(s: Pick<Scenario, 'config' | 'meter' | 'chargers'>, at: RigAddresses): Obj {
  const c = structuredClone(s.config);
  c.version ??= 1;
  const han = isObj(c.han) ? c.han : {};
  if (at.hanPort !== undefined) han.port = at.hanPort;
  c.han = han;
  c.chargers = (Array.isArray(c.chargers) ? c.chargers : []).map((ch: unknown) => {
    if (!isObj(ch) || typeof ch.id !== 'string') return ch;
    const port = at.chargerPorts[ch.id];
    return port !== undefined ? { ...ch, transport: { type: 'tcp', host: '127.0.0.1', port } } : ch;
  });
  c.eventLog = { ...(isObj(c.eventLog) ? c.eventLog : {}), path: at.eventLogPath };
  c.log = { level: 'info', ...(isObj(c.log) ? c.log : {}) };
  return c;
}

/** The completed config as YAML, and the agent's own verdict on it. */
export function renderConfig(s: Pick<Scenario, 'config' | 'meter' | 'chargers'>, at: RigAddresses): { yaml: string; problems: string[] } {
  const yaml = stringify(completeConfig(s, at));
  const facts = profileFacts();
  const r = parseConfig(yaml, 'config', { knownProfiles: facts.ids, profileLimits: facts.limits });
  return { yaml, problems: r.ok ? [] : r.problems.map((p) => (/^\d+:\d+:/.test(p) ? `config: ${p}` : `config.${p}`)) };
}
