// The config and profile types are written by hand beside their schemas (config/schema.json,
// profileSchema in drivers/charger/profile.ts). The trees below are the types' keys, written
// out in full: the compiler holds each to its type (KeyTree), and this test holds it to its
// schema, so a key added, renamed or dropped on one side alone fails here.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { source } from '../../helpers/paths.js';
import type { Config } from '../../../config/types.js';
import { profileSchema, type Profile } from '../../../drivers/charger/profile.js';
import { keyPaths, schemaKeys, type KeyTree } from '../../helpers/schema-keys.js';

const CONFIG_SCHEMA = source('config/schema.json');

const CONFIG_KEYS: KeyTree<Config> = {
  version: true,
  han: {
    port: true,
    serial: {
      baudRate: true,
      dataBits: true,
      parity: true,
      stopBits: true,
    },
    requireChecksum: true,
    sendChecksum: true,
    reconnect: {
      initialMs: true,
      maxMs: true,
    },
    readSchedule: true,
  },
  chargers: {
    id: true,
    profile: true,
    transport: {
      type: true,
      host: true,
      port: true,
      path: true,
      serial: {
        baudRate: true,
        dataBits: true,
        parity: true,
        stopBits: true,
      },
    },
    unitId: true,
    minCurrentA: true,
    maxCurrentA: true,
    allowPause: true,
    timeoutMs: true,
    registers: true,
    failsafeCurrentA: true,
    failsafeTimeoutS: true,
  },
  bindings: {
    switch: true,
    dev: true,
    chargers: true,
    reducedCurrentA: true,
  },
  rules: {
    boost: {
      liftsDnoOpen: true,
    },
    labels: {
      pattern: true,
      flags: true,
      policy: true,
    },
    link: {
      staleAfterS: true,
      holdS: true,
      fallback: true,
    },
    restore: {
      maxDelayS: true,
      ramp: {
        stepA: true,
        intervalS: true,
      },
      meterRandomisesCalendar: true,
    },
    siteCapA: true,
  },
  profilesDir: true,
  eventLog: {
    path: true,
    retentionDays: true,
    pruneSchedule: true,
  },
  history: {
    sampleIntervalS: true,
  },
  log: {
    level: true,
  },
  mqtt: {
    enabled: true,
    url: true,
    gatewayId: true,
    clientId: true,
    topicPrefix: true,
    username: true,
    password: true,
    passwordFile: true,
    tls: {
      ca: true,
      cert: true,
      key: true,
      rejectUnauthorized: true,
    },
    qos: true,
    streams: {
      state: true,
      events: true,
      heartbeat: true,
    },
    stateMinIntervalMs: true,
    heartbeatS: true,
    replayRatePerS: true,
    keepaliveS: true,
    reconnectS: true,
    ackTimeoutS: true,
    homeAssistant: {
      enabled: true,
      discoveryPrefix: true,
    },
    commands: {
      enabled: true,
    },
  },
};

const PROFILE_KEYS: KeyTree<Profile> = {
  id: true,
  name: true,
  models: true,
  source: true,
  confidence: true,
  unverified: true,
  notes: true,
  transport: {
    tcp: {
      port: true,
    },
    rtu: {
      baudRate: true,
      dataBits: true,
      parity: true,
      stopBits: true,
    },
    defaultUnitId: true,
    interFrameDelayMs: true,
  },
  setpoint: {
    register: {
      address: true,
      table: true,
      type: true,
      wordOrder: true,
      scale: true,
      length: true,
      shift: true,
      mask: true,
      missing: true,
    },
    functionCode: true,
    pauseValueA: true,
    minA: true,
    maxA: true,
    readable: true,
    onReboot: true,
    stepS: true,
  },
  appliedLimit: {
    address: true,
    table: true,
    type: true,
    wordOrder: true,
    scale: true,
    length: true,
    shift: true,
    mask: true,
    missing: true,
  },
  keepAlive: {
    kind: true,
    register: {
      address: true,
      table: true,
      type: true,
      wordOrder: true,
      scale: true,
      length: true,
      shift: true,
      mask: true,
      missing: true,
    },
    value: true,
    values: true,
    modulo: true,
    periodFraction: true,
    maxPeriodMs: true,
  },
  failsafe: {
    current: {
      write: {
        address: true,
        table: true,
        type: true,
        wordOrder: true,
        scale: true,
        length: true,
        shift: true,
        mask: true,
        missing: true,
      },
      read: {
        address: true,
        table: true,
        type: true,
        wordOrder: true,
        scale: true,
        length: true,
        shift: true,
        mask: true,
        missing: true,
      },
    },
    timeout: {
      write: {
        address: true,
        table: true,
        type: true,
        wordOrder: true,
        scale: true,
        length: true,
        shift: true,
        mask: true,
        missing: true,
      },
      read: {
        address: true,
        table: true,
        type: true,
        wordOrder: true,
        scale: true,
        length: true,
        shift: true,
        mask: true,
        missing: true,
      },
      unit: true,
      minS: true,
      maxS: true,
    },
    defaultTimeoutS: true,
    behaviour: true,
    reenable: {
      register: {
        address: true,
        table: true,
        type: true,
        wordOrder: true,
        scale: true,
        length: true,
        shift: true,
        mask: true,
        missing: true,
      },
      value: true,
      why: true,
    },
    showsIn: true,
  },
  status: {
    register: {
      address: true,
      table: true,
      type: true,
      wordOrder: true,
      scale: true,
      length: true,
      shift: true,
      mask: true,
      missing: true,
    },
    map: true,
    chargingValues: true,
    charging: {
      register: {
        address: true,
        table: true,
        type: true,
        wordOrder: true,
        scale: true,
        length: true,
        shift: true,
        mask: true,
        missing: true,
      },
      values: true,
    },
  },
  measurements: {
    currentsA: {
      address: true,
      table: true,
      type: true,
      wordOrder: true,
      scale: true,
      length: true,
      shift: true,
      mask: true,
      missing: true,
    },
    powerW: {
      address: true,
      table: true,
      type: true,
      wordOrder: true,
      scale: true,
      length: true,
      shift: true,
      mask: true,
      missing: true,
    },
  },
  init: {
    register: {
      address: true,
      table: true,
      type: true,
      wordOrder: true,
      scale: true,
      length: true,
      shift: true,
      mask: true,
      missing: true,
    },
    value: true,
    why: true,
  },
  quirks: {
    maxRegistersPerRead: true,
    writeFunctionCodes: true,
    forbiddenReads: true,
  },
};

function compare(t: Test, name: string, schema: string[], typed: string[]): void {
  const inType = new Set(typed);
  const inSchema = new Set(schema);
  const onlySchema = schema.filter((k) => !inType.has(k));
  const onlyType = typed.filter((k) => !inSchema.has(k));
  t.same(onlySchema, [], `${name}: in the schema, not in the type: ${onlySchema.join(', ') || 'none'}`);
  t.same(onlyType, [], `${name}: in the type, not in the schema: ${onlyType.join(', ') || 'none'}`);
}

t.test('the schema walk follows $ref, oneOf and items, and keeps maps as leaves', async (t) => {
  const schema = {
    definitions: { pair: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } },
    properties: {
      list: { type: 'array', items: { $ref: '#/definitions/pair' } },
      either: { oneOf: [{ properties: { x: {} } }, { properties: { y: {} } }] },
      map: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  t.same(schemaKeys(schema), ['either', 'either.x', 'either.y', 'list', 'list.a', 'list.b', 'map']);
  t.same(keyPaths({ a: { b: true, c: { d: true } } }), ['a', 'a.b', 'a.c', 'a.c.d']);
});

t.test('config/schema.json and the Config type (config/types.ts) name the same keys', async (t) => {
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA, 'utf8')) as Record<string, unknown>;
  compare(t, 'config', schemaKeys(schema), keyPaths(CONFIG_KEYS));
});

t.test('profileSchema and the Profile type (drivers/charger/profile.ts) name the same keys', async (t) => {
  compare(t, 'profile', schemaKeys(profileSchema as unknown as Record<string, unknown>), keyPaths(PROFILE_KEYS));
});
