// A scenario after loading: the rig, the agent's config, and the timeline of steps.

import type { SerialSettings } from '../../config/types.js';

export type Match =
  | number
  | string
  | boolean
  | null
  | {
      atLeast?: number;
      atMost?: number;
      between?: [number, number];
      approx?: number;
      tolerance?: number;
      not?: number | string | boolean | null;
      matches?: string;
    };

export interface MeterRig {
  mode: 'simulated' | 'external';
  /** The simulated meter's serial device; absent: a TCP bridge on loopback. */
  port?: string;
  serial: SerialSettings;
  heartbeatMs: number;
  checksum: boolean;
  init: string[];
}

export interface ChargerRig {
  mode: 'simulated' | 'external';
  rtu?: { port: string; serial?: Partial<SerialSettings> };
  car: { connected: boolean; drawFraction: number; phases: 1 | 3; delayMs: number };
  timeoutS?: number;
  safeCurrentA?: number;
  init: string[];
}

export type Quantity = 'setpoint' | 'applied' | 'measured';

/** reach: true at some moment within ms; hold: true all through ms; now: true at once. */
export type Mode = { mode: 'reach' | 'hold' | 'now'; ms: number };

export type Expectation =
  | ({ kind: 'charger'; charger: string; quantity: Quantity; match: Match } & Mode)
  | ({ kind: 'event'; event: string; negate: boolean; charger?: string; switchIdx?: number; data: Record<string, Match>; since: 'step' | 'start' } & Mode)
  | ({ kind: 'status'; fields: Record<string, Match> } & Mode)
  | ({ kind: 'meterReceived'; pattern: string; since: 'step' | 'start' } & Mode);

export type Action =
  | { kind: 'meter'; commands: string[] }
  | { kind: 'link'; command: string }
  | { kind: 'charger'; commands: Array<{ id: string; command: string }> }
  | { kind: 'agent'; op: 'start' | 'stop' | 'restart' | 'kill' | 'kill-restart' }
  | { kind: 'owner'; args: string[] }
  | { kind: 'wait'; ms: number }
  | { kind: 'expect'; expect: Expectation };

export interface Step {
  /** 1-based, as a tester counts them in the file. */
  number: number;
  /** What the report calls it: the step's name, else its action in words. */
  label: string;
  action: Action;
}

export interface Scenario {
  file: string;
  name: string;
  description?: string;
  covers: string[];
  timeoutMs: number;
  meter: MeterRig;
  chargers: Record<string, ChargerRig>;
  agent: { stateDir?: string; start: boolean; dryRun: boolean };
  /** The agent's config as written in the scenario (the runner fills in ports and paths). */
  config: Record<string, unknown>;
  steps: Step[];
}
