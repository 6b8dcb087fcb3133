// Rules the schema cannot say: between fields (ids, ranges of a binding against its
// chargers, one setting per RS-485 line) and about values (a valid cron expression, a port
// path). They run on the document after defaults even when the schema found problems, so
// a field engineer sees everything at once; a value the schema already rejected is skipped
// here so each mistake is reported once.

import { validate as cronValid, validateDetailed as cronDetails } from 'node-cron';
import { effectiveRange, type ProfileLimits } from './core-config.js';
import { closest, formatPath, type Problem } from './schema-errors.js';
import type { ChargerConfig } from './types.js';

export interface CrossCheckOptions {
  /** Profile ids that exist; "generic" is always known. Absent: profiles are not checked. */
  knownProfiles?: readonly string[];
  profileLimits?: ProfileLimits;
  /**
   * The profiles a config with this profilesDir sees; when given, it supersedes knownProfiles
   * and profileLimits, and every charger's merged profile is validated here.
   */
  profiles?: (profilesDir: string | undefined) => ProfileView;
}

/** What the charger layer says about the profiles a config can name (agent/profile-view.ts). */
export interface ProfileView {
  knownProfiles: readonly string[];
  profileLimits: ProfileLimits;
  /** Problems of one charger's merged profile, paths starting with `at` (or a profile file's path). */
  problemsOf(charger: ChargerConfig, at: string): Problem[];
  /** What overrides what, chargers left disabled: reported as warnings once the chargers are checked. */
  notices: readonly Problem[];
}

export interface CrossCheckResult {
  errors: Problem[];
  warnings: Problem[];
}

type Seg = string | number;

/** Reads the raw document, returning undefined for values the schema already rejected. */
class Reader {
  constructor(
    private readonly doc: unknown,
    private readonly badPaths: ReadonlySet<string>,
  ) {}

  private usable(at: readonly Seg[]): boolean {
    for (let n = 0; n <= at.length; n++) {
      if (this.badPaths.has(formatPath(at.slice(0, n)))) return false;
    }
    return true;
  }

  get(at: readonly Seg[]): unknown {
    return this.usable(at) ? this.raw(at) : undefined;
  }

  num(at: readonly Seg[]): number | undefined {
    const v = this.get(at);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }

  str(at: readonly Seg[]): string | undefined {
    const v = this.get(at);
    return typeof v === 'string' ? v : undefined;
  }

  bool(at: readonly Seg[]): boolean | undefined {
    const v = this.get(at);
    return typeof v === 'boolean' ? v : undefined;
  }

  /** Length of a list (0 when absent or rejected). */
  len(at: readonly Seg[]): number {
    const v = this.get(at);
    return Array.isArray(v) ? v.length : 0;
  }

  /** The value as written, even if the schema rejected it. */
  raw(at: readonly Seg[]): unknown {
    let node = this.doc;
    for (const seg of at) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Record<Seg, unknown>)[seg];
    }
    return node;
  }

  present(at: readonly Seg[]): boolean {
    return this.raw(at) !== undefined;
  }
}

interface ChargerView {
  index: number;
  id: string | undefined;
  profile: string | undefined;
  min: number | undefined;
  max: number | undefined;
  /** Undefined when the schema rejected the value. */
  allowPause: boolean | undefined;
}

const TCP_PORT = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+):(\d+)$/;

function serialText(s: { baudRate?: unknown; dataBits?: unknown; parity?: unknown; stopBits?: unknown }): string {
  const p = typeof s.parity === 'string' ? s.parity.charAt(0).toUpperCase() : '?';
  return `${String(s.baudRate)} ${String(s.dataBits)}${p}${String(s.stopBits)}`;
}

export function crossCheck(doc: unknown, badPaths: ReadonlySet<string>, options: CrossCheckOptions = {}): CrossCheckResult {
  const r = new Reader(doc, badPaths);
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (at: readonly Seg[], message: string): void => {
    errors.push({ path: formatPath(at), message });
  };
  const warn = (at: readonly Seg[], message: string): void => {
    warnings.push({ path: formatPath(at), message });
  };

  // --- han ---
  const hanPort = r.str(['han', 'port']);
  if (hanPort !== undefined && hanPort !== '') {
    if (hanPort.startsWith('tcp://')) {
      const m = TCP_PORT.exec(hanPort);
      const port = m ? Number(m[2]) : NaN;
      if (!m) err(['han', 'port'], `must be tcp://host:port (a host and a port number), got ${JSON.stringify(hanPort)}`);
      else if (!(port >= 1 && port <= 65535)) err(['han', 'port'], `port ${m[2]} is not a TCP port (1-65535)`);
    } else if (!hanPort.startsWith('/')) {
      err(['han', 'port'], `must be a serial device path starting with / (e.g. /dev/ttyUSB0) or tcp://host:port, got ${JSON.stringify(hanPort)}`);
    }
  }
  const schedule = r.str(['han', 'readSchedule']);
  if (schedule !== undefined && schedule !== '' && !cronValid(schedule)) {
    const why = cronDetails(schedule)
      .errors.map((e) => e.message)
      .join('; ');
    err(['han', 'readSchedule'], `${JSON.stringify(schedule)} is not a valid cron expression${why ? `: ${why}` : ''}`);
  }
  const prune = r.str(['eventLog', 'pruneSchedule']);
  if (prune !== undefined && prune !== '' && !cronValid(prune)) {
    const why = cronDetails(prune)
      .errors.map((e) => e.message)
      .join('; ');
    err(['eventLog', 'pruneSchedule'], `${JSON.stringify(prune)} is not a valid cron expression${why ? `: ${why}` : ''}`);
  }
  const initialMs = r.num(['han', 'reconnect', 'initialMs']);
  const maxMs = r.num(['han', 'reconnect', 'maxMs']);
  if (initialMs !== undefined && maxMs !== undefined && maxMs < initialMs) {
    err(['han', 'reconnect', 'maxMs'], `${maxMs} ms is below initialMs ${initialMs} ms; the cap must be at least the first wait`);
  }

  // --- rules ---
  const pattern = r.str(['rules', 'labels', 'pattern']);
  const flags = r.str(['rules', 'labels', 'flags']);
  if (pattern !== undefined) {
    try {
      new RegExp(pattern, flags ?? '');
    } catch (e) {
      err(['rules', 'labels', 'pattern'], `is not a valid regular expression: ${(e as Error).message}`);
    }
  }

  // --- profiles ---
  const profilesDir = r.str(['profilesDir']);
  const view = options.profiles?.(profilesDir);
  if (view) {
    options = { ...options, knownProfiles: view.knownProfiles, profileLimits: view.profileLimits };
  }

  // --- chargers ---
  const chargers: ChargerView[] = [];
  const byId = new Map<string, ChargerView>();
  // Names of chargers whose id the schema rejected: a binding naming one is not a second mistake.
  const rejectedIds = new Set<string>();
  const known = options.knownProfiles ? new Set([...options.knownProfiles, 'generic']) : undefined;
  for (let i = 0; i < r.len(['chargers']); i++) {
    const at = ['chargers', i];
    const c: ChargerView = {
      index: i,
      id: r.str([...at, 'id']),
      profile: r.str([...at, 'profile']),
      min: r.num([...at, 'minCurrentA']),
      max: r.num([...at, 'maxCurrentA']),
      allowPause: r.bool([...at, 'allowPause']),
    };
    chargers.push(c);
    const rawId = r.raw([...at, 'id']);
    if (c.id === undefined && typeof rawId === 'string') rejectedIds.add(rawId);
    if (c.id !== undefined) {
      const first = byId.get(c.id);
      if (first) err([...at, 'id'], `${JSON.stringify(c.id)} is already the id of chargers[${first.index}]; ids must be unique`);
      else byId.set(c.id, c);
    }
    if (c.profile !== undefined && c.profile !== '') {
      if (known && !known.has(c.profile)) {
        const guess = closest(c.profile, [...known]);
        err(
          [...at, 'profile'],
          `unknown profile ${JSON.stringify(c.profile)}${guess ? ` (did you mean ${guess}?)` : ''}; known: ${[...known].sort().join(', ')}`,
        );
      }
      if (c.profile === 'generic' && !r.present([...at, 'registers'])) {
        err([...at, 'registers'], 'is required with profile generic (the whole register map)');
      }
    }
    if (c.min !== undefined && c.max !== undefined) {
      if (c.min > c.max) {
        err([...at, 'minCurrentA'], `${c.min} A is above maxCurrentA ${c.max} A`);
      } else if (c.profile !== undefined && options.profileLimits?.[c.profile]) {
        const eff = effectiveRange({ profile: c.profile, minCurrentA: c.min, maxCurrentA: c.max }, options.profileLimits);
        if (eff.minCurrentA > eff.maxCurrentA) {
          err([...at, 'maxCurrentA'], `${c.min}..${c.max} A does not overlap what profile ${c.profile} can signal`);
        } else if (eff.narrowed) {
          warn(
            at,
            `profile ${c.profile} signals ${eff.minCurrentA}..${eff.maxCurrentA} A, so the agent uses that instead of the configured ${c.min}..${c.max} A`,
          );
          c.min = eff.minCurrentA;
          c.max = eff.maxCurrentA;
        }
      }
    }
    const failsafe = r.num([...at, 'failsafeCurrentA']);
    if (failsafe !== undefined) {
      const why = outsideRange(failsafe, c);
      if (why) err([...at, 'failsafeCurrentA'], why);
    }
    // The merged profile needs a charger entry the schema accepted whole (transport, range).
    const here = formatPath(at);
    const whole = ![...badPaths].some((b) => b === here || b.startsWith(`${here}.`) || b.startsWith(`${here}[`));
    const entry = whole ? r.get(at) : undefined;
    const genericWithout = c.profile === 'generic' && !r.present([...at, 'registers']);
    if (view && entry !== undefined && c.profile !== undefined && !genericWithout && (!known || known.has(c.profile))) {
      errors.push(...view.problemsOf(entry as ChargerConfig, formatPath(at)));
    }
  }

  // --- transports: one bus per RS-485 line, one address per device ---
  const lines = new Map<string, number>();
  const endpoints = new Map<string, number>();
  for (const c of chargers) {
    const at = ['chargers', c.index];
    const type = r.str([...at, 'transport', 'type']);
    const unit = r.num([...at, 'unitId']);
    const unitKey = unit === undefined ? `default of ${c.profile ?? '?'}` : String(unit);
    if (type === 'rtu') {
      const path = r.str([...at, 'transport', 'path']);
      if (unit !== undefined && (unit < 1 || unit > 247)) {
        err([...at, 'unitId'], `must be 1-247 on an RS-485 line (0 is broadcast), got ${unit}`);
      }
      if (path === undefined) continue;
      if (hanPort !== undefined && path === hanPort) {
        err([...at, 'transport', 'path'], `${path} is the HAN port; a Modbus line needs its own serial device`);
      }
      const serial = r.get([...at, 'transport', 'serial']);
      const firstIdx = lines.get(path);
      if (firstIdx === undefined) {
        lines.set(path, c.index);
      } else {
        const firstSerial = r.get(['chargers', firstIdx, 'transport', 'serial']);
        if (serial && firstSerial && typeof serial === 'object' && typeof firstSerial === 'object') {
          const a = serialText(firstSerial),
            b = serialText(serial);
          if (a !== b) {
            err([...at, 'transport', 'serial'], `${b} differs from ${a} of chargers[${firstIdx}] on the same line ${path}; one RS-485 line has one setting`);
          }
        }
      }
      const key = `rtu ${path} unit ${unitKey}`;
      const other = endpoints.get(key);
      if (other !== undefined) {
        err(
          [...at, 'unitId'],
          unit === undefined
            ? `must be given: chargers[${other}] on the same line ${path} also uses the profile's default unit id; each device on a line needs its own address`
            : `${unit} is already used by chargers[${other}] on the same line ${path}; each device on a line needs its own address`,
        );
      } else endpoints.set(key, c.index);
    } else if (type === 'tcp') {
      const host = r.str([...at, 'transport', 'host']);
      const port = r.num([...at, 'transport', 'port']);
      if (host === undefined || port === undefined) continue;
      const key = `tcp ${host.toLowerCase()}:${port} unit ${unitKey}`;
      const other = endpoints.get(key);
      if (other !== undefined) {
        err([...at, 'unitId'], `${host}:${port} unit ${unitKey} is already chargers[${other}]; two chargers cannot be one device`);
      } else endpoints.set(key, c.index);
    }
  }

  // --- bindings ---
  const bound = new Set<string>();
  const switchUse = new Map<string, number>();
  for (let i = 0; i < r.len(['bindings']); i++) {
    const at = ['bindings', i];
    const sw = r.num([...at, 'switch']);
    const devRaw = r.str([...at, 'dev']);
    const dev = devRaw?.toUpperCase();
    if (!r.present([...at, 'switch']) && !r.present([...at, 'dev'])) {
      err(at, 'needs switch (the number 1-5 on the meter) or dev (the HCALCS device id), or both');
    }
    const reduced = r.num([...at, 'reducedCurrentA']);
    for (let k = 0; k < r.len([...at, 'chargers']); k++) {
      const id = r.str([...at, 'chargers', k]);
      if (id === undefined) continue;
      const c = byId.get(id);
      if (!c) {
        if (rejectedIds.has(id)) continue;
        const ids = [...byId.keys()];
        const guess = closest(id, ids);
        err(
          [...at, 'chargers', k],
          `no charger has the id ${JSON.stringify(id)}${guess ? ` (did you mean ${guess}?)` : ''}; chargers: ${ids.join(', ') || 'none'}`,
        );
        continue;
      }
      bound.add(id);
      for (const [kind, value] of [
        ['switch', sw],
        ['dev', dev],
      ] as const) {
        if (value === undefined) continue;
        const key = `${kind} ${value} -> ${id}`;
        const first = switchUse.get(key);
        if (first !== undefined) {
          err(
            [...at, kind],
            `${kind} ${value} already drives charger ${JSON.stringify(id)} through bindings[${first}]; one switch drives a charger through one binding`,
          );
        } else switchUse.set(key, i);
      }
      if (reduced !== undefined) {
        const why = outsideRange(reduced, c);
        if (why) err([...at, 'reducedCurrentA'], why);
      }
    }
  }
  for (const c of chargers) {
    if (c.id !== undefined && byId.get(c.id) === c && !bound.has(c.id)) {
      warn(['chargers', c.index], `charger ${JSON.stringify(c.id)} is in no binding, so no switch will ever reduce it`);
    }
  }

  // --- site cap ---
  const cap = r.num(['rules', 'siteCapA']);
  if (cap !== undefined && chargers.length > 0 && chargers.every((c) => c.min !== undefined)) {
    const all = chargers.reduce((s, c) => s + (c.min ?? 0), 0);
    const firm = chargers.filter((c) => c.allowPause !== true);
    const firmSum = firm.reduce((s, c) => s + (c.min ?? 0), 0);
    const terms = chargers.map((c) => `${c.id ?? `chargers[${c.index}]`} ${c.min} A`).join(' + ');
    if (cap < firmSum) {
      err(
        ['rules', 'siteCapA'],
        `${cap} A cannot give every charger its minimum at once (${terms} = ${all} A, and ${firm.length === chargers.length ? 'none' : 'not enough'} may pause); raise siteCapA to at least ${firmSum} A or set allowPause: true on enough chargers`,
      );
    } else if (cap < all) {
      warn(
        ['rules', 'siteCapA'],
        `${cap} A is below the chargers' minimums together (${terms} = ${all} A): when all charge, one that allows pausing is paused`,
      );
    }
  }

  if (view) warnings.push(...view.notices);
  return { errors, warnings };
}

/** Why `limitA` cannot be signalled to charger `c`, or undefined when it can. */
function outsideRange(limitA: number, c: ChargerView): string | undefined {
  const name = c.id !== undefined ? `charger ${JSON.stringify(c.id)}` : `chargers[${c.index}]`;
  if (limitA === 0) {
    return c.allowPause !== false
      ? undefined
      : `0 A would pause ${name}, which does not allow pausing (set allowPause: true on it, or use at least its minimum)`;
  }
  // Either bound may be unknown (the schema rejected it): check the one that is known.
  if (c.min === undefined && c.max === undefined) return undefined;
  if (c.min !== undefined && c.max !== undefined && c.min > c.max) return undefined;
  const range =
    c.min !== undefined && c.max !== undefined ? `${c.min}..${c.max} A` : c.min !== undefined ? `at least ${c.min} A` : `at most ${String(c.max)} A`;
  const use = `use ${c.allowPause === true ? '0 or ' : ''}${range}`;
  if (c.min !== undefined && limitA < c.min) return `${limitA} A is below the minimum ${c.min} A of ${name}; ${use}`;
  if (c.max !== undefined && limitA > c.max) return `${limitA} A is above the maximum ${c.max} A of ${name}; ${use}`;
  return undefined;
}
