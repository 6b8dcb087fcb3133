// One shipped charger profile wired to the pymodbus peer: TCP profiles on loopback, RTU
// profiles on a socat pty opened at the profile's own serial settings (the peer's end runs
// parity N, which a pty does not care about). Expectations come from struct-oracle.ts.
import { createServer } from 'node:net';
import { pino } from 'pino';
import type { ChargerConfig, RtuTransport, TcpTransport } from '../../config/types.js';
import { BusRegistry, type BackoffOptions, type ModbusBus } from '../../drivers/charger/bus.js';
import { createCharger, type ProfileCharger } from '../../drivers/charger/profile-driver.js';
import type { Profile } from '../../drivers/charger/profile.js';
import type { RegisterSpec } from '../../drivers/charger/register-map.js';
import { startPymodbusPeer, startPymodbusRtuPeer, type Peer, type PeerUnitSpec } from '../helpers/pymodbus-peer.js';
import { oracleWords, type EncodeAsk, type OracleType } from './struct-oracle.js';

export const silentLogger = pino({ level: 'silent' });

export function transportOf(profile: Profile): 'tcp' | 'rtu' {
  return profile.transport.tcp ? 'tcp' : 'rtu';
}

/** Starts a peer for the profile's transport with the given units. */
export async function startPeerFor(profile: Profile, units: Record<number, PeerUnitSpec>): Promise<Peer> {
  const rtu = profile.transport.rtu;
  if (transportOf(profile) === 'tcp' || !rtu) return startPymodbusPeer({ units });
  return startPymodbusRtuPeer({ units, baudRate: rtu.baudRate, dataBits: rtu.dataBits, stopBits: rtu.stopBits });
}

export function endpointFor(profile: Profile, peer: Peer): TcpTransport | RtuTransport {
  const rtu = profile.transport.rtu;
  if (transportOf(profile) === 'tcp' || !rtu || !peer.path) return { type: 'tcp', host: '127.0.0.1', port: peer.port };
  return { type: 'rtu', path: peer.path, serial: { ...rtu } };
}

/** A failsafe timeout the profile accepts, as close to `wantS` as its range allows. */
export function timeoutWithin(profile: Profile, wantS: number): number {
  const t = profile.failsafe?.timeout;
  return Math.min(Math.max(wantS, t?.minS ?? 0), t?.maxS ?? Number.POSITIVE_INFINITY);
}

export function configFor(profile: Profile, peer: Peer, over: Partial<ChargerConfig> = {}): ChargerConfig {
  return {
    id: `${profile.id}-under-test`,
    profile: profile.id,
    transport: endpointFor(profile, peer),
    minCurrentA: profile.setpoint.minA,
    maxCurrentA: profile.setpoint.maxA,
    allowPause: true,
    timeoutMs: 500,
    failsafeCurrentA: 6,
    failsafeTimeoutS: timeoutWithin(profile, 30),
    ...over,
  };
}

export interface Rig {
  peer: Peer;
  registry: BusRegistry;
  bus: ModbusBus;
  charger: ProfileCharger;
  config: ChargerConfig;
  unit: number;
  close(): Promise<void>;
}

/** Peer + bus + driver for one profile; close() tears all three down. */
export async function rigFor(
  profile: Profile,
  seed: PeerUnitSpec = {},
  opts: { config?: Partial<ChargerConfig>; backoff?: BackoffOptions; peer?: Peer } = {},
): Promise<Rig> {
  const unit = opts.config?.unitId ?? profile.transport.defaultUnitId;
  const peer = opts.peer ?? (await startPeerFor(profile, { [unit]: seed }));
  const config = configFor(profile, peer, opts.config);
  const registry = new BusRegistry(silentLogger, opts.backoff ? { backoff: opts.backoff } : {});
  const bus = registry.acquire(config.transport);
  const charger = createCharger(config, profile, bus, silentLogger);
  return {
    peer,
    registry,
    bus,
    charger,
    config,
    unit,
    close: async () => {
      await charger.close();
      await registry.closeAll();
      if (!opts.peer) await peer.stop();
    },
  };
}

function oracleType(spec: RegisterSpec): OracleType {
  if (spec.type === 'string') throw new Error(`register ${spec.address} is a string`);
  return spec.type;
}

/** Ask for the words a register spec should hold for a value. */
export function ask(spec: RegisterSpec, value: number, mode: 'limit' | 'exact'): EncodeAsk {
  return {
    type: oracleType(spec),
    value,
    mode,
    ...(spec.wordOrder ? { wordOrder: spec.wordOrder } : {}),
    ...(spec.scale !== undefined ? { scale: spec.scale } : {}),
  };
}

/** Words for many (spec, value) pairs in one python run. */
export function words(asks: Array<Parameters<typeof oracleWords>[0][number]>): number[][] {
  return asks.length === 0 ? [] : oracleWords(asks);
}

/** Registers a spec spans (independent of register-map.ts). */
export function spanOf(spec: RegisterSpec): number {
  switch (spec.type) {
    case 'uint16':
    case 'int16':
      return 1;
    case 'float64':
      return 4;
    case 'string':
      return spec.length ?? 1;
    default:
      return 2;
  }
}

/**
 * The function code a write of `count` registers must use: FC06 for one register unless the
 * charger refuses FC06 (go-e, EM2GO: FC16 only); several registers always FC16.
 */
export function expectedWriteFc(profile: Profile, count: number): 6 | 16 {
  const allowed = profile.quirks?.writeFunctionCodes;
  if (count > 1) return 16;
  return allowed && !allowed.includes(6) ? 16 : 6;
}

/** FC03 for holding, FC04 for input registers. */
export function readFc(spec: RegisterSpec): 3 | 4 {
  return spec.table === 'holding' ? 3 : 4;
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The fields of a BusError (or any error) the tests compare. */
export function busError(err: unknown): { code?: string | undefined; modbusCode?: number | undefined; message: string } {
  const e = err as { code?: string; modbusCode?: number; message: string };
  return { code: e.code, modbusCode: e.modbusCode, message: e.message };
}

/** Polls probe until it returns something or the time is up. */
export async function waitUntil<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined || Date.now() > until) return v;
    await sleepMs(20);
  }
}

/** A loopback port nobody listens on (for connection-refused tests). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
