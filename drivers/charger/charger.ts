// What the rest of the agent knows of a charger. One generic driver (profile-driver.ts)
// implements it for every charger profile; units are in every name.

/** IEC 61851 control-pilot state as far as the charger reports it. */
export type VehicleState = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'unknown';

export interface ChargerReading {
  vehicleState: VehicleState;
  /** True while energy flows (state C/D), where the charger tells. */
  charging?: boolean;
  /** Measured current per phase, where the charger measures it. */
  currentsA?: number[];
  powerW?: number;
  /** The limit the charger reports it applies, where it has a read-back register. */
  appliedLimitA?: number;
}

export interface WriteOutcome {
  ok: boolean;
  /** The limit asked for. */
  limitA: number;
  /** The value read back from the setpoint (or applied-limit) register, where readable. */
  readBackA?: number;
  error?: string;
  /** From sending the request to its acknowledgement (and read-back). */
  durationMs: number;
  /** A failed write: how long the line will refuse this charger (it backs off a silent
   *  device), so a retry sooner would be refused unsent. Absent: it would be sent now. */
  retryAfterMs?: number;
}

export interface Charger {
  readonly id: string;
  /** Profile id, e.g. "alfen-eve". */
  readonly profileId: string;
  /** Opens the connection (or joins the shared bus) and writes the failsafe settings. */
  connect(): Promise<void>;
  /** Writes the limit (0 pauses) and reads it back where the profile allows. */
  setCurrentLimitA(limitA: number): Promise<WriteOutcome>;
  /** Reads status and measurements. */
  read(): Promise<ChargerReading>;
  /** The profile's keep-alive (life bit, heartbeat value or setpoint rewrite). */
  keepAlive(): Promise<void>;
  /** How often keepAlive must run (at most a third of the charger's timeout), or null for never. */
  readonly keepAlivePeriodMs: number | null;
  close(): Promise<void>;
}
