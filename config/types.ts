// The shape of the agent's YAML config after validation against config/schema.json and
// after defaults are filled in. Durations are in the unit their name says.

export type Parity = 'none' | 'even' | 'odd';

export interface SerialSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: Parity;
  stopBits: 1 | 2;
}

export interface HanConfig {
  /** A serial device (/dev/ttyUSB0, /dev/serial/by-id/...) or a TCP serial bridge tcp://host:port. */
  port: string;
  serial: SerialSettings;
  /** Reject lines without a *HH checksum. */
  requireChecksum: boolean;
  /** Add a checksum to lines the agent sends. */
  sendChecksum: boolean;
  /** Reconnect backoff: first wait, doubling up to the cap. */
  reconnect: { initialMs: number; maxMs: number };
  /** node-cron expression for the scheduled READ of switches and boost details. */
  readSchedule: string;
}

export interface TcpTransport {
  type: 'tcp';
  host: string;
  port: number;
}

export interface RtuTransport {
  type: 'rtu';
  /** Serial device of the RS-485 line; chargers naming the same path share one bus. */
  path: string;
  serial: SerialSettings;
}

export interface ChargerConfig {
  id: string;
  /** Profile id (a file in drivers/charger/profiles/) or "generic" with `registers` given here. */
  profile: string;
  transport: TcpTransport | RtuTransport;
  /** Modbus unit id; absent means the profile's default (the charger layer fills it in). */
  unitId?: number;
  minCurrentA: number;
  maxCurrentA: number;
  allowPause: boolean;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Profile overrides / the whole register map for "generic" (validated by the charger layer). */
  registers?: Record<string, unknown>;
  /** Failsafe current written to the charger; defaults to the lowest reduced current of its bindings. */
  failsafeCurrentA?: number;
  /** Charger-side communication timeout written at connect, where the profile has the register. */
  failsafeTimeoutS?: number;
}

export interface BindingConfig {
  switch?: number;
  dev?: string;
  chargers: string[];
  reducedCurrentA: number;
}

export interface RulesConfig {
  boost: { liftsDnoOpen: boolean };
  labels: { pattern: string; flags: string; policy: 'warn' | 'enforce' };
  link: { staleAfterS: number; holdS: number; fallback: 'normal' | 'reduced' };
  restore: {
    maxDelayS: number;
    ramp?: { stepA: number; intervalS: number };
    meterRandomisesCalendar: boolean;
  };
  siteCapA?: number;
}

export interface Config {
  /** Settings version; older files are migrated to this one on load (config/migrate.ts). */
  version: 1;
  han: HanConfig;
  chargers: ChargerConfig[];
  bindings: BindingConfig[];
  rules: RulesConfig;
  /** A directory of site charger profiles, searched after the shipped ones and /etc/hcalcs-agent/profiles. */
  profilesDir?: string;
  eventLog: { path: string; retentionDays: number; pruneSchedule: string };
  history: { sampleIntervalS: number };
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' };
  /** Fleet uplink; absent means none (agent/uplink/). */
  mqtt?: MqttConfig;
}

export interface MqttConfig {
  enabled: boolean;
  /** mqtt://, mqtts://, ws:// or wss://; credentials never in the URL. */
  url: string;
  /** Absent: derived at start (agent/uplink/gateway-id.ts). */
  gatewayId?: string;
  clientId?: string;
  /** Absent: hcalcs/<gatewayId>. */
  topicPrefix?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  qos: 1 | 2;
  streams: { state: boolean; events: boolean; heartbeat: boolean };
  stateMinIntervalMs: number;
  heartbeatS: number;
  replayRatePerS: number;
  keepaliveS: number;
  reconnectS: number;
  ackTimeoutS: number;
  homeAssistant: { enabled: boolean; discoveryPrefix: string };
  commands: { enabled: boolean };
}
