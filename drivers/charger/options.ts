// What the charger layer needs to know of one charger: where it is on which line, its profile
// and what the site allows. The drivers' own type, so the charger layer never depends on the
// config's shape; the config's charger entry is handed over by the composition root (and by
// the commands that work on one charger), and must stay assignable to this.

import type { SerialSettings } from '../serial-settings.js';

export interface TcpEndpoint {
  type: 'tcp';
  host: string;
  port: number;
}

export interface RtuEndpoint {
  type: 'rtu';
  /** Serial device of the RS-485 line; chargers naming the same path share one bus. */
  path: string;
  serial: SerialSettings;
}

export type Endpoint = TcpEndpoint | RtuEndpoint;

export interface ChargerOptions {
  id: string;
  /** Profile id (a file in drivers/charger/profiles/) or "generic" with `registers` given here. */
  profile: string;
  transport: Endpoint;
  /** Modbus unit id; absent means the profile's default. */
  unitId?: number;
  minCurrentA: number;
  maxCurrentA: number;
  allowPause: boolean;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Profile overrides, or the whole register map for "generic" (validated by profile.ts). */
  registers?: Record<string, unknown>;
  /** Failsafe current written to the charger at connect. */
  failsafeCurrentA?: number;
  /** Charger-side communication timeout written at connect, where the profile has the register. */
  failsafeTimeoutS?: number;
}
