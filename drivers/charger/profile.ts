// A charger profile is data: one JSON file per charger model in ./profiles/, checked by one
// validator. Adding a charger means adding a file; "generic" is a profile given wholly in the
// user's config (a charger's `registers`) and goes through the same validator.

import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { heldValidator, type ValidatorSpec } from '../schema-validator.js';
import type { ChargerOptions } from './options.js';
import type { VehicleState } from './charger.js';
import { isWritableType, registerCount, type RegisterSpec } from './register-map.js';

export type Confidence = 'high' | 'medium-high' | 'medium' | 'medium-low' | 'low';
export type KeepAliveKind = 'life-bit' | 'heartbeat-value' | 'toggle' | 'counter' | 'rewrite-setpoint' | 'poll' | 'none';
/** Where a fallback to the failsafe current becomes visible to the agent. */
export type FallbackView = 'applied-limit' | 'setpoint' | 'measured-current';
/** Kinds that write a register of their own each period. */
export const WRITING_KEEPALIVES: readonly KeepAliveKind[] = ['life-bit', 'heartbeat-value', 'toggle', 'counter'];

/** A register write with the reason it is made (init, re-enable). */
export interface ProfileWrite {
  register: RegisterSpec;
  value: number;
  why: string;
}

export interface Profile {
  id: string;
  name: string;
  /** Other models that use the same register set. */
  models?: string[];
  /** The document(s) every fact rests on (vendor doc, driver project), as each profile lists them. */
  source: string[];
  confidence: Confidence;
  /** Facts in this file that no vendor document or working driver confirms. */
  unverified?: string[];
  /** Installation prerequisites and behaviour the operator must know. */
  notes?: string[];
  transport: {
    tcp?: { port: number };
    rtu?: { baudRate: number; dataBits: 7 | 8; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 };
    defaultUnitId: number;
    /** Silence the bus keeps after each request to this device. */
    interFrameDelayMs: number;
  };
  setpoint: {
    register: RegisterSpec;
    /** Write with FC06 (one register) or FC16 (write multiple). */
    functionCode: 6 | 16;
    /** The value that pauses charging, or null when the charger cannot be paused this way. */
    pauseValueA: number | null;
    /** The range the charger accepts (besides the pause value). */
    minA: number;
    maxA: number;
    /** Whether FC03/FC04 on the setpoint register returns what was written. */
    readable: boolean;
    /** What the setpoint becomes after a reboot: 0, the failsafe current, or not documented. */
    onReboot: 'zero' | 'failsafe-current' | 'kept' | 'unknown';
    /** Longest time the charger takes to apply a new limit; default 5 (one IEC 61851 PWM step). */
    stepS?: number;
  };
  /** Where the charger reports the limit it applies, when the setpoint is not readable. */
  appliedLimit?: RegisterSpec;
  keepAlive: {
    kind: KeepAliveKind;
    /** life-bit / heartbeat-value / toggle / counter: the register written. poll: the register read. */
    register?: RegisterSpec;
    /** life-bit / heartbeat-value: the value written every period. */
    value?: number;
    /** toggle: the two values written in turn; default [0, 1]. */
    values?: [number, number];
    /** counter: the count wraps to 0 at this value; default 65536 (a uint16 register). */
    modulo?: number;
    /** Period = timeout * this fraction; at most 1/3 (the agent's rule). */
    periodFraction: number;
    /** A cap on the period where a driver or doc asks for faster (Schneider: 2 s). */
    maxPeriodMs?: number;
  };
  failsafe?: {
    current?: { write?: RegisterSpec; read?: RegisterSpec };
    timeout?: { write?: RegisterSpec; read?: RegisterSpec; unit: 's' | 'ms'; minS?: number; maxS?: number };
    /** The charger's timeout when the agent cannot set it (e.g. Alfen's validity time, 60 s). */
    defaultTimeoutS?: number;
    /** What the charger does on timeout, in words (for the operator). */
    behaviour?: string;
    /** Writes that bring the charger back into service after a failsafe (KEBA: 5014 = 1). */
    reenable?: ProfileWrite[];
    /**
     * Where failsafe-test sees the fallback. Default: appliedLimit when the profile has one,
     * else the measured current. "setpoint": the charger puts its failsafe current into the
     * setpoint register, which then reads back the fallback.
     */
    showsIn?: FallbackView;
  };
  status: {
    register: RegisterSpec;
    /** Raw value (decimal string, or the text of a string register) -> IEC 61851 state. */
    map: Record<string, VehicleState>;
    /** Raw values that mean energy flows. */
    chargingValues?: string[];
    /** A second register that says "charging" (Vestel 1001 = 1), upgrading B to C. */
    charging?: { register: RegisterSpec; values: number[] };
  };
  measurements?: {
    currentsA?: RegisterSpec[];
    powerW?: RegisterSpec;
  };
  /** Writes made once at connect (e.g. Heidelberg 258 = 4 disables standby). */
  init?: ProfileWrite[];
  quirks?: {
    /** Largest register count one read may ask for (KEBA: 2). */
    maxRegistersPerRead?: number;
    /** Write function codes the charger accepts (go-e: [16]; HCC3, KEBA: [6]). */
    writeFunctionCodes?: Array<6 | 16>;
    /** Reads that drop the connection (Mennekes 4You: 730, 740). */
    forbiddenReads?: number[];
  };
}

const registerSchema = {
  type: 'object',
  required: ['address', 'table', 'type'],
  additionalProperties: false,
  properties: {
    address: { type: 'integer', minimum: 0, maximum: 65535 },
    table: { enum: ['holding', 'input'] },
    type: { enum: ['uint16', 'int16', 'uint32', 'int32', 'float32', 'float64', 'string'] },
    wordOrder: { enum: ['BE', 'LE'] },
    scale: { type: 'number', exclusiveMinimum: 0 },
    length: { type: 'integer', minimum: 1, maximum: 125 },
    shift: { type: 'integer', minimum: 0, maximum: 31 },
    mask: { type: 'integer', minimum: 1, maximum: 0xffffffff },
    missing: { type: 'integer', minimum: 0, maximum: 0xffffffff },
  },
};
const writeSchema = {
  type: 'object',
  required: ['register', 'value', 'why'],
  additionalProperties: false,
  properties: { register: registerSchema, value: { type: 'number' }, why: { type: 'string', minLength: 1 } },
};
const stateEnum = { enum: ['A', 'B', 'C', 'D', 'E', 'F', 'unknown'] };

export const profileSchema = {
  type: 'object',
  required: ['id', 'name', 'source', 'confidence', 'transport', 'setpoint', 'keepAlive', 'status'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    name: { type: 'string', minLength: 1 },
    models: { type: 'array', items: { type: 'string' } },
    source: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    confidence: { enum: ['high', 'medium-high', 'medium', 'medium-low', 'low'] },
    unverified: { type: 'array', items: { type: 'string' } },
    notes: { type: 'array', items: { type: 'string' } },
    transport: {
      type: 'object',
      required: ['defaultUnitId', 'interFrameDelayMs'],
      additionalProperties: false,
      properties: {
        tcp: {
          type: 'object',
          required: ['port'],
          additionalProperties: false,
          properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
        },
        rtu: {
          type: 'object',
          required: ['baudRate', 'dataBits', 'parity', 'stopBits'],
          additionalProperties: false,
          properties: {
            baudRate: { type: 'integer', minimum: 300 },
            dataBits: { enum: [7, 8] },
            parity: { enum: ['none', 'even', 'odd'] },
            stopBits: { enum: [1, 2] },
          },
        },
        defaultUnitId: { type: 'integer', minimum: 0, maximum: 255 },
        interFrameDelayMs: { type: 'number', minimum: 0, maximum: 10000 },
      },
    },
    setpoint: {
      type: 'object',
      required: ['register', 'functionCode', 'pauseValueA', 'minA', 'maxA', 'readable', 'onReboot'],
      additionalProperties: false,
      properties: {
        register: registerSchema,
        functionCode: { enum: [6, 16] },
        pauseValueA: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] },
        minA: { type: 'number', minimum: 0 },
        maxA: { type: 'number', exclusiveMinimum: 0 },
        readable: { type: 'boolean' },
        onReboot: { enum: ['zero', 'failsafe-current', 'kept', 'unknown'] },
        stepS: { type: 'number', exclusiveMinimum: 0, maximum: 120 },
      },
    },
    appliedLimit: registerSchema,
    keepAlive: {
      type: 'object',
      required: ['kind', 'periodFraction'],
      additionalProperties: false,
      properties: {
        kind: { enum: ['life-bit', 'heartbeat-value', 'toggle', 'counter', 'rewrite-setpoint', 'poll', 'none'] },
        register: registerSchema,
        value: { type: 'integer', minimum: 0, maximum: 65535 },
        values: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'integer', minimum: 0, maximum: 65535 } },
        modulo: { type: 'integer', minimum: 2, maximum: 4294967296 },
        periodFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 / 3 },
        maxPeriodMs: { type: 'integer', minimum: 100 },
      },
    },
    failsafe: {
      type: 'object',
      additionalProperties: false,
      properties: {
        current: {
          type: 'object',
          additionalProperties: false,
          properties: { write: registerSchema, read: registerSchema },
        },
        timeout: {
          type: 'object',
          required: ['unit'],
          additionalProperties: false,
          properties: {
            write: registerSchema,
            read: registerSchema,
            unit: { enum: ['s', 'ms'] },
            minS: { type: 'number', minimum: 0 },
            maxS: { type: 'number', exclusiveMinimum: 0 },
          },
        },
        defaultTimeoutS: { type: 'number', exclusiveMinimum: 0 },
        behaviour: { type: 'string', minLength: 1 },
        reenable: { type: 'array', items: writeSchema },
        showsIn: { enum: ['applied-limit', 'setpoint', 'measured-current'] },
      },
    },
    status: {
      type: 'object',
      required: ['register', 'map'],
      additionalProperties: false,
      properties: {
        register: registerSchema,
        map: { type: 'object', minProperties: 1, additionalProperties: stateEnum },
        chargingValues: { type: 'array', items: { type: 'string' } },
        charging: {
          type: 'object',
          required: ['register', 'values'],
          additionalProperties: false,
          properties: { register: registerSchema, values: { type: 'array', minItems: 1, items: { type: 'integer' } } },
        },
      },
    },
    measurements: {
      type: 'object',
      additionalProperties: false,
      properties: {
        currentsA: { type: 'array', minItems: 1, maxItems: 3, items: registerSchema },
        powerW: registerSchema,
      },
    },
    init: { type: 'array', items: writeSchema },
    quirks: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxRegistersPerRead: { type: 'integer', minimum: 1, maximum: 125 },
        writeFunctionCodes: { type: 'array', minItems: 1, items: { enum: [6, 16] } },
        forbiddenReads: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 65535 } },
      },
    },
  },
} as const;

export class ProfileError extends Error {
  constructor(public readonly errors: string[]) {
    super(errors.join('; '));
    this.name = 'ProfileError';
  }
}

/** The profile schema's validator: the schema above as JSON, precompiled by the build. */
export const profileValidatorSpec: ValidatorSpec = {
  text: () => JSON.stringify(profileSchema),
  options: { allErrors: true, strict: false },
  precompiled: new URL('./profile-schema.validator.cjs', import.meta.url),
};

function ajvPath(prefix: string, e: ErrorObject, data: unknown): string {
  const parts = e.instancePath
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/gu, '/').replace(/~0/gu, '~'));
  if (e.keyword === 'required') parts.push(String((e.params as { missingProperty: string }).missingProperty));
  if (e.keyword === 'additionalProperties') {
    parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  }
  // Array positions read [i]; object keys read .key, even when the key is a number (status.map.2).
  let node: unknown = data;
  let path = prefix;
  for (const part of parts) {
    path += Array.isArray(node) ? `[${part}]` : path === '' ? part : `.${part}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return path || '(root)';
}

function ajvMessage(e: ErrorObject): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'is not a known field';
  if (e.keyword === 'enum') {
    return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return e.message ?? 'is invalid';
}

/** Checks the rules the schema cannot say. */
function semanticErrors(p: Profile, prefix: string): string[] {
  const errors: string[] = [];
  const at = (path: string): string => (prefix ? `${prefix}.${path}` : path);
  const writable = (spec: RegisterSpec | undefined, path: string): void => {
    if (!spec) return;
    if (spec.table !== 'holding') errors.push(`${at(path)}.table: a written register must be "holding"`);
    if (!isWritableType(spec.type)) errors.push(`${at(path)}.type: ${spec.type} cannot be written`);
  };
  const sp = p.setpoint;
  writable(sp.register, 'setpoint.register');
  if (sp.functionCode === 6 && registerCount(sp.register) > 1) {
    errors.push(`${at('setpoint.functionCode')}: a ${sp.register.type} setpoint spans 2 registers and needs FC16`);
  }
  const fcs = p.quirks?.writeFunctionCodes;
  if (fcs && !fcs.includes(sp.functionCode)) {
    errors.push(`${at('setpoint.functionCode')}: FC${sp.functionCode} is not in quirks.writeFunctionCodes`);
  }
  if (sp.minA > sp.maxA) errors.push(`${at('setpoint.minA')}: must not exceed setpoint.maxA (${sp.maxA})`);
  if (sp.register.type === 'string') errors.push(`${at('setpoint.register.type')}: a setpoint cannot be a string`);
  if (!p.transport.tcp && !p.transport.rtu) errors.push(`${at('transport')}: needs tcp or rtu defaults`);
  const ka = p.keepAlive;
  if ((ka.kind === 'life-bit' || ka.kind === 'heartbeat-value') && (!ka.register || ka.value === undefined)) {
    errors.push(`${at('keepAlive')}: ${ka.kind} needs register and value`);
  }
  if ((ka.kind === 'toggle' || ka.kind === 'counter') && !ka.register) errors.push(`${at('keepAlive.register')}: is required for ${ka.kind}`);
  if (ka.values !== undefined && ka.kind !== 'toggle') errors.push(`${at('keepAlive.values')}: only for kind toggle`);
  if (ka.values !== undefined && ka.values[0] === ka.values[1]) errors.push(`${at('keepAlive.values')}: the two values must differ`);
  if (ka.modulo !== undefined && ka.kind !== 'counter') errors.push(`${at('keepAlive.modulo')}: only for kind counter`);
  if (WRITING_KEEPALIVES.includes(ka.kind)) writable(ka.register, 'keepAlive.register');
  const view = p.failsafe?.showsIn;
  if (view === 'applied-limit' && !p.appliedLimit) errors.push(`${at('failsafe.showsIn')}: "applied-limit" needs an appliedLimit register`);
  if (view === 'setpoint' && !sp.readable) errors.push(`${at('failsafe.showsIn')}: "setpoint" needs setpoint.readable: true`);
  if (view === 'measured-current' && !p.measurements?.currentsA) errors.push(`${at('failsafe.showsIn')}: "measured-current" needs measurements.currentsA`);
  if (ka.kind !== 'none' && ka.kind !== 'rewrite-setpoint' && ka.kind !== 'poll' && !p.failsafe) {
    errors.push(`${at('keepAlive.kind')}: ${ka.kind} without a failsafe section`);
  }
  if (ka.kind !== 'none' && p.failsafe && !p.failsafe.timeout?.write && p.failsafe.defaultTimeoutS === undefined) {
    errors.push(`${at('failsafe')}: a keep-alive needs timeout.write or defaultTimeoutS to derive its period`);
  }
  if (ka.kind !== 'none' && !p.failsafe && ka.maxPeriodMs === undefined) {
    errors.push(`${at('keepAlive.maxPeriodMs')}: is required when there is no failsafe section`);
  }
  writable(p.failsafe?.current?.write, 'failsafe.current.write');
  writable(p.failsafe?.timeout?.write, 'failsafe.timeout.write');
  for (const [i, w] of (p.init ?? []).entries()) writable(w.register, `init[${i}].register`);
  for (const [i, w] of (p.failsafe?.reenable ?? []).entries()) writable(w.register, `failsafe.reenable[${i}].register`);
  const max = p.quirks?.maxRegistersPerRead;
  if (max !== undefined) {
    const reads: Array<[string, RegisterSpec | undefined]> = [
      ['status.register', p.status.register],
      ['appliedLimit', p.appliedLimit],
      ...(p.measurements?.currentsA ?? []).map((r, i): [string, RegisterSpec] => [`measurements.currentsA[${i}]`, r]),
      ['measurements.powerW', p.measurements?.powerW],
    ];
    for (const [path, spec] of reads) {
      if (spec && registerCount(spec) > max) {
        errors.push(`${at(path)}: spans ${registerCount(spec)} registers, more than quirks.maxRegistersPerRead (${max})`);
      }
    }
  }
  if (p.status.register.type === 'string' && p.status.register.length === undefined) {
    errors.push(`${at('status.register.length')}: is required for a string register`);
  }
  return errors;
}

/**
 * Validates a profile object; returns it typed or throws ProfileError whose errors read
 * `path: message` (prefix, e.g. "registers", goes in front of every path).
 */
export function validateProfile(data: unknown, prefix = ''): Profile {
  const validateSchema = heldValidator(profileValidatorSpec).validate;
  if (!validateSchema(data)) {
    const errors = (validateSchema.errors ?? []).map((e) => `${ajvPath(prefix, e, data)}: ${ajvMessage(e)}`);
    throw new ProfileError([...new Set(errors)]);
  }
  const profile = data as unknown as Profile;
  const errors = semanticErrors(profile, prefix);
  if (errors.length > 0) throw new ProfileError(errors);
  return profile;
}

/** The directory of shipped profiles, next to this module in source and in dist/. */
export const PROFILES_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));

/** Reads and validates one profile file; errors read `path: message` without the file name. */
export function readProfileFile(path: string): Profile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ProfileError([`(file): ${(err as Error).message}`]);
  }
  const p = validateProfile(data);
  const file = basename(path);
  if (`${p.id}.json` !== file) throw new ProfileError([`id: "${p.id}" does not match the file name ${file}`]);
  return p;
}

/** Reads and validates every *.json in dir; a bad file throws with its name in every error. */
export function loadProfiles(dir: string = PROFILES_DIR): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    try {
      const p = readProfileFile(join(dir, file));
      out.set(p.id, p);
    } catch (err) {
      if (err instanceof ProfileError) throw new ProfileError(err.errors.map((e) => `${file}: ${e}`));
      throw err;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars replace. */
export function mergeOverrides(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeOverrides(base[k], v);
  return out;
}

/**
 * The parts of a "generic" profile the charger's own config already says, so `registers`
 * holds only what is particular to the charger: transport and unit id come from the
 * charger's transport and unitId, the range from minCurrentA..maxCurrentA. The setpoint is
 * taken as not readable (rewritten blindly) and not pausable unless the map says otherwise.
 */
export function genericBase(config: ChargerOptions, registers: Record<string, unknown>): Record<string, unknown> {
  const t = config.transport;
  const sp = isPlainObject(registers.setpoint) ? registers.setpoint : {};
  const reg = isPlainObject(sp.register) ? sp.register : {};
  const spans = typeof reg.type === 'string' && reg.type !== 'uint16' && reg.type !== 'int16';
  return {
    id: 'generic',
    name: `generic register map of ${config.id}`,
    source: ['the site config'],
    confidence: 'low',
    transport: {
      ...(t.type === 'tcp' ? { tcp: { port: t.port } } : { rtu: { ...t.serial } }),
      defaultUnitId: config.unitId ?? 1,
      interFrameDelayMs: 0,
    },
    setpoint: {
      functionCode: spans ? 16 : 6,
      pauseValueA: null,
      minA: config.minCurrentA,
      maxA: config.maxCurrentA,
      readable: false,
      onReboot: 'unknown',
    },
    keepAlive: { kind: 'none', periodFraction: 0.25 },
  };
}

/** The config path of a charger's settings, for messages: chargers[2] when its index is known. */
export type ChargerPath = string;

/**
 * The profile a charger runs: a known profile with the config's `registers` merged over it,
 * or for "generic" the config's `registers` over genericBase(). Errors name the config path
 * (`at`, default chargers.<id>).
 */
export function resolveProfile(config: ChargerOptions, profiles: Map<string, Profile> = loadProfiles(), at: ChargerPath = `chargers.${config.id}`): Profile {
  const prefix = `${at}.registers`;
  if (config.profile === 'generic') {
    if (!config.registers) throw new ProfileError([`${prefix}: is required for profile "generic"`]);
    if (!isPlainObject(config.registers)) throw new ProfileError([`${prefix}: must be an object`]);
    return validateProfile(mergeOverrides(genericBase(config, config.registers), config.registers), prefix);
  }
  const base = profiles.get(config.profile);
  if (!base) {
    throw new ProfileError([`${at}.profile: unknown profile "${config.profile}" (known: generic, ${[...profiles.keys()].join(', ')})`]);
  }
  if (!config.registers) return base;
  return validateProfile(mergeOverrides(base, config.registers), prefix);
}
