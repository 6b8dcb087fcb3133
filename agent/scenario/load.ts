// Reads a scenario file: YAML, then the scenario schema (schema.json, every problem as
// `path: message`), then what a schema cannot say (one action per step, charger ids that
// exist, commands the simulators understand, a config the agent accepts).

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { schemaProblems, formatPath } from '../../config/schema-errors.js';
import { heldValidator, type ValidatorSpec } from '../../drivers/schema-validator.js';
import type { ChargerConfig } from '../../config/types.js';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { loadProfiles, ProfileError, resolveProfile } from '../../drivers/charger/profile.js';
import { SimulatedCharger } from '../../drivers/charger/simulator.js';
import { runMeterCommand } from '../sim/meter-commands.js';
import { runChargerCommand } from '../sim/charger-commands.js';
import { CommandError, parseDuration, tokenize } from '../sim/words.js';
import { configShapeProblems, renderConfig } from './agent-config.js';
import type { Action, ChargerRig, Expectation, Match, MeterRig, Mode, Scenario } from './types.js';

/** The scenario schema's validator: read from ./schema.json, precompiled by the build. */
export const scenarioValidatorSpec: ValidatorSpec = {
  text: () => readFileSync(new URL('./schema.json', import.meta.url), 'utf8'),
  options: { allErrors: true, strictTypes: false, verbose: true },
  precompiled: new URL('./schema.validator.cjs', import.meta.url),
};

export type LoadedScenario = { ok: true; scenario: Scenario } | { ok: false; problems: string[] };

type Obj = Record<string, unknown>;
const ms = (v: unknown, dflt: number) => (v === undefined ? dflt : parseDuration(v as string | number));
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string]);
const ACTIONS = ['meter', 'link', 'charger', 'agent', 'owner', 'wait', 'expect'] as const;
const OWNER_COMMANDS = ['restore-now', 'manual-limit'];

/** Loads and checks one scenario file. Never throws for a bad file. */
export function loadScenario(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`(file): ${(err as Error).message}`] };
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file: string): LoadedScenario {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map(
        (e) => `${e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)'}: ${e.message.split(/ at line \d+, column \d+/)[0]}`,
      ),
    };
  }
  const raw: unknown = doc.toJS();
  const v = heldValidator(scenarioValidatorSpec).validate;
  if (!v(raw)) return { ok: false, problems: schemaProblems(v.errors ?? [], raw).map((p) => `${p.path}: ${p.message}`) };
  const data = raw as Obj;
  const problems: string[] = [];
  const rig = (data.rig ?? {}) as Obj;
  const m = (rig.meter ?? {}) as Obj;
  const meter: MeterRig = {
    mode: (m.mode as MeterRig['mode'] | undefined) ?? 'simulated',
    serial: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, ...((m.serial as Obj | undefined) ?? {}) } as MeterRig['serial'],
    heartbeatMs: ms(m.heartbeatS, 10_000),
    checksum: m.checksum === true,
    init: list(m.init),
  };
  if (typeof m.port === 'string') meter.port = m.port;
  if (meter.mode === 'external' && (m.port !== undefined || m.init !== undefined))
    problems.push('rig.meter: an external meter takes no port or init (config.han.port names it)');
  const chargers: Record<string, ChargerRig> = {};
  for (const [id, c] of Object.entries((rig.chargers ?? {}) as Record<string, Obj>)) {
    const car = (c.car ?? {}) as Obj;
    chargers[id] = {
      mode: (c.mode as ChargerRig['mode'] | undefined) ?? 'simulated',
      car: {
        connected: car.connected !== false,
        drawFraction: (car.drawFraction as number | undefined) ?? 0.95,
        phases: (car.phases as 1 | 3 | undefined) ?? 3,
        delayMs: ms(car.delay, 1000),
      },
      init: list(c.init),
      ...(c.rtu ? { rtu: c.rtu as NonNullable<ChargerRig['rtu']> } : {}),
      ...(c.timeoutS !== undefined ? { timeoutS: c.timeoutS as number } : {}),
      ...(c.safeCurrentA !== undefined ? { safeCurrentA: c.safeCurrentA as number } : {}),
    };
  }
  const config = data.config as Obj;
  const configChargers = (Array.isArray(config.chargers) ? config.chargers : []) as Obj[];
  for (const c of configChargers) {
    if (typeof c?.id === 'string' && chargers[c.id] === undefined)
      chargers[c.id] = { mode: 'simulated', car: { connected: true, drawFraction: 0.95, phases: 3, delayMs: 1000 }, init: [] };
  }
  const a = (data.agent ?? {}) as Obj;
  const scenario: Scenario = {
    file,
    name: data.name as string,
    covers: (data.covers as string[] | undefined) ?? [],
    timeoutMs: ms(data.timeout, 300_000),
    meter,
    chargers,
    agent: { start: a.start !== false, dryRun: a.dryRun === true, ...(typeof a.stateDir === 'string' ? { stateDir: a.stateDir } : {}) },
    config,
    steps: [],
  };
  if (typeof data.description === 'string') scenario.description = data.description;

  problems.push(...configShapeProblems(scenario));
  if (problems.length === 0) {
    const placeholders = Object.fromEntries(
      Object.entries(chargers)
        .filter(([, r]) => r.mode === 'simulated' && !r.rtu)
        .map(([id]) => [id, 1]),
    );
    problems.push(
      ...renderConfig(scenario, {
        ...(meter.mode === 'simulated' && !meter.port ? { hanPort: 'tcp://127.0.0.1:1' } : {}),
        chargerPorts: placeholders,
        eventLogPath: '/tmp/x.db',
      }).problems,
    );
  }

  // Commands are tried on throwaway simulators, so a typo fails here, not minutes into a run.
  const scratchMeter = new MeterEmulator({ heartbeatMs: 0 });
  const profiles = (() => {
    try {
      return loadProfiles();
    } catch {
      return new Map();
    }
  })();
  const scratchCharger = (id: string): SimulatedCharger | string => {
    const cc = configChargers.find((c) => c.id === id);
    if (!cc) return `no charger "${id}" in config.chargers (there: ${configChargers.map((c) => String(c.id)).join(', ') || 'none'})`;
    if (chargers[id]?.mode === 'external') return `charger "${id}" is external: faults can only be injected into a simulated charger`;
    try {
      return new SimulatedCharger({ unitId: 1, profile: resolveProfile(cc as unknown as ChargerConfig, profiles) }, Date.now);
    } catch (err) {
      return err instanceof ProfileError ? err.errors.join('; ') : (err as Error).message;
    }
  };
  const tryCommand = (path: string, run: () => unknown) => {
    try {
      run();
    } catch (err) {
      if (err instanceof CommandError || err instanceof RangeError) problems.push(`${path}: ${err.message}`);
      else throw err;
    }
  };
  const noQuit = (path: string, cmd: string) => {
    if (/^\s*(quit|exit)\b/.test(cmd)) problems.push(`${path}: quit has no place in a scenario`);
  };
  meter.init.forEach((cmd, i) => {
    const path = formatPath(['rig', 'meter', 'init', ...(Array.isArray(m.init) ? [i] : [])]);
    noQuit(path, cmd);
    tryCommand(path, () => runMeterCommand(scratchMeter, cmd));
  });
  for (const [id, r] of Object.entries(chargers)) {
    r.init.forEach((cmd, i) => {
      const path = formatPath(['rig', 'chargers', id, 'init', i]);
      const u = scratchCharger(id);
      if (typeof u === 'string') problems.push(`${path}: ${u}`);
      else tryCommand(path, () => runChargerCommand(u, cmd));
    });
  }

  const chargerIds = new Set(configChargers.map((c) => String(c.id)));
  (data.steps as Obj[]).forEach((st, i) => {
    const at = (...rest: (string | number)[]) => formatPath(['steps', i, ...rest]);
    const present = ACTIONS.filter((k) => st[k] !== undefined);
    if (present.length !== 1) {
      problems.push(`${at()}: needs exactly one action (${ACTIONS.join(', ')}); found ${present.length ? present.join(', ') : 'none'}`);
      return;
    }
    const key = present[0]!;
    let action: Action | undefined;
    const meterNeeded = () => {
      if (meter.mode === 'external')
        problems.push(`${at(key)}: the rig's meter is external (a real radio module): meter and link steps need a simulated meter`);
    };
    switch (key) {
      case 'meter': {
        meterNeeded();
        const cmds = list(st.meter);
        cmds.forEach((cmd, j) => {
          const path = Array.isArray(st.meter) ? at('meter', j) : at('meter');
          noQuit(path, cmd);
          tryCommand(path, () => runMeterCommand(scratchMeter, cmd));
        });
        action = { kind: 'meter', commands: cmds };
        break;
      }
      case 'link':
        meterNeeded();
        tryCommand(at('link'), () => runMeterCommand(scratchMeter, st.link as string));
        action = { kind: 'link', command: st.link as string };
        break;
      case 'charger': {
        const cmds: Array<{ id: string; command: string }> = [];
        list(st.charger).forEach((line, j) => {
          const path = Array.isArray(st.charger) ? at('charger', j) : at('charger');
          const [id = '', ...rest] = line.trim().split(/\s+/);
          const u = scratchCharger(id);
          if (typeof u === 'string') return problems.push(`${path}: ${u}; write "ID COMMAND", e.g. "garage reboot"`);
          const command = rest.join(' ');
          noQuit(path, command);
          if (command === '') return problems.push(`${path}: no command after the charger id`);
          tryCommand(path, () => runChargerCommand(u, command));
          cmds.push({ id, command });
        });
        action = { kind: 'charger', commands: cmds };
        break;
      }
      case 'agent':
        action = { kind: 'agent', op: st.agent as 'start' };
        break;
      case 'owner': {
        let args: string[] = [];
        tryCommand(at('owner'), () => (args = tokenize(st.owner as string)));
        if (args.length && !OWNER_COMMANDS.includes(args[0]!)) problems.push(`${at('owner')}: must start with one of: ${OWNER_COMMANDS.join(', ')}`);
        action = { kind: 'owner', args };
        break;
      }
      case 'wait':
        action = { kind: 'wait', ms: ms(st.wait, 0) };
        break;
      case 'expect': {
        const e = expectation(st.expect as Obj, at, chargerIds, problems);
        if (e) action = { kind: 'expect', expect: e };
        break;
      }
    }
    if (action) scenario.steps.push({ number: i + 1, label: typeof st.name === 'string' ? st.name : describeAction(action), action });
  });
  void scratchMeter.close();
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, scenario };
}

function modeOf(e: Obj, at: (...r: (string | number)[]) => string, problems: string[], negate = false): Mode {
  if (e.within !== undefined && e.for !== undefined) problems.push(`${at('expect')}: give within (reaches) or for (stays), not both`);
  if (e.for !== undefined) return { mode: 'hold', ms: ms(e.for, 0) };
  if (e.within !== undefined) {
    if (negate) return { mode: 'hold', ms: ms(e.within, 0) };
    return { mode: 'reach', ms: ms(e.within, 0) };
  }
  return { mode: 'now', ms: 0 };
}

function checkMatch(m: Match, path: string, problems: string[]): void {
  if (m === null || typeof m !== 'object') return;
  if (m.matches !== undefined) {
    try {
      new RegExp(m.matches);
    } catch (err) {
      problems.push(`${path}.matches: ${(err as Error).message}`);
    }
  }
  if (m.tolerance !== undefined && m.approx === undefined) problems.push(`${path}.tolerance: goes with approx`);
}

function expectation(e: Obj, at: (...r: (string | number)[]) => string, chargerIds: Set<string>, problems: string[]): Expectation | undefined {
  const kinds = (['setpoint', 'applied', 'measured', 'event', 'noEvent', 'status', 'meterReceived'] as const).filter((k) => e[k] !== undefined);
  if (kinds.length !== 1) {
    problems.push(
      `${at('expect')}: needs exactly one of setpoint, applied, measured (with charger), event, noEvent, status, meterReceived; found ${kinds.length ? kinds.join(', ') : 'none'}`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  const charger = e.charger as string | undefined;
  if (charger !== undefined && !chargerIds.has(charger)) problems.push(`${at('expect', 'charger')}: no charger "${charger}" in config.chargers`);
  const eventish = kind === 'event' || kind === 'noEvent';
  for (const k of ['data', 'switch'] as const) if (e[k] !== undefined && !eventish) problems.push(`${at('expect', k)}: goes with event or noEvent`);
  if (e.since !== undefined && !eventish && kind !== 'meterReceived') problems.push(`${at('expect', 'since')}: goes with event, noEvent or meterReceived`);
  if (kind === 'setpoint' || kind === 'applied' || kind === 'measured') {
    if (charger === undefined) problems.push(`${at('expect', 'charger')}: is required with ${kind}`);
    checkMatch(e[kind] as Match, at('expect', kind), problems);
    return { kind: 'charger', charger: charger ?? '', quantity: kind, match: e[kind] as Match, ...modeOf(e, at, problems) };
  }
  if (eventish) {
    const negate = kind === 'noEvent';
    if (negate && e.within === undefined && e.for === undefined) problems.push(`${at('expect')}: noEvent needs for (how long none may appear)`);
    if (!negate && e.for !== undefined) problems.push(`${at('expect', 'for')}: an event appears once; use within (or noEvent with for)`);
    const data = (e.data ?? {}) as Record<string, Match>;
    for (const [k, m] of Object.entries(data)) checkMatch(m, at('expect', 'data', k), problems);
    return {
      kind: 'event',
      event: e[kind] as string,
      negate,
      data,
      since: (e.since as 'step' | 'start' | undefined) ?? 'step',
      ...(charger !== undefined ? { charger } : {}),
      ...(e.switch !== undefined ? { switchIdx: e.switch as number } : {}),
      ...modeOf(e, at, problems, negate),
    };
  }
  if (charger !== undefined) problems.push(`${at('expect', 'charger')}: goes with setpoint, applied, measured, event or noEvent`);
  if (kind === 'status') {
    const fields = e.status as Record<string, Match>;
    for (const [k, m] of Object.entries(fields)) checkMatch(m, at('expect', 'status', k), problems);
    return { kind: 'status', fields, ...modeOf(e, at, problems) };
  }
  try {
    new RegExp(e.meterReceived as string);
  } catch (err) {
    problems.push(`${at('expect', 'meterReceived')}: ${(err as Error).message}`);
  }
  return { kind: 'meterReceived', pattern: e.meterReceived as string, since: (e.since as 'step' | 'start' | undefined) ?? 'step', ...modeOf(e, at, problems) };
}

export function describeMatch(m: Match): string {
  if (m === null || typeof m !== 'object') return JSON.stringify(m);
  const parts: string[] = [];
  if (m.atLeast !== undefined) parts.push(`>= ${m.atLeast}`);
  if (m.atMost !== undefined) parts.push(`<= ${m.atMost}`);
  if (m.between) parts.push(`${m.between[0]}..${m.between[1]}`);
  if (m.approx !== undefined) parts.push(`${m.approx} ± ${m.tolerance ?? 0.05}`);
  if (m.not !== undefined) parts.push(`not ${JSON.stringify(m.not)}`);
  if (m.matches !== undefined) parts.push(`~ /${m.matches}/`);
  return parts.join(' and ');
}

const secs = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'meter':
      return `meter: ${a.commands.join('; ')}`;
    case 'link':
      return `link: ${a.command}`;
    case 'charger':
      return `charger: ${a.commands.map((c) => `${c.id} ${c.command}`).join('; ')}`;
    case 'agent':
      return `agent ${a.op}`;
    case 'owner':
      return `owner: ${a.args.join(' ')}`;
    case 'wait':
      return `wait ${secs(a.ms)}`;
    case 'expect': {
      const e = a.expect;
      const when = e.mode === 'reach' ? ` within ${secs(e.ms)}` : e.mode === 'hold' ? ` for ${secs(e.ms)}` : '';
      if (e.kind === 'charger') return `expect ${e.charger} ${e.quantity} ${describeMatch(e.match)}${when}`;
      if (e.kind === 'event') {
        const where = [
          e.charger ? `charger ${e.charger}` : '',
          e.switchIdx ? `switch ${e.switchIdx}` : '',
          ...Object.entries(e.data).map(([k, m]) => `${k} ${describeMatch(m)}`),
        ]
          .filter(Boolean)
          .join(', ');
        return `expect ${e.negate ? 'no ' : ''}event ${e.event}${where ? ` (${where})` : ''}${when}`;
      }
      if (e.kind === 'status')
        return `expect status ${Object.entries(e.fields)
          .map(([k, m]) => `${k} ${describeMatch(m)}`)
          .join(', ')}${when}`;
      return `expect the agent to send /${e.pattern}/${when}`;
    }
  }
}
