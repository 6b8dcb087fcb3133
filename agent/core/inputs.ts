// What the meter side tells the core, in the core's own words. The shapes follow HAN line
// protocol v1 today, but they belong to the core: the wire types (drivers/han/messages.ts)
// may grow fields, verbs or a new version without the core noticing, because the shell's one
// adapter (agent/han-input.ts) is where the wire is mapped onto these.

export type SwitchState = 'open' | 'closed';
export type SwitchCause = 'dno' | 'supplier' | 'calendar' | 'boost' | 'reset' | 'unknown';
export type SwitchType = 'HCALCS' | 'ALCS';

/** The state of one auxiliary load switch (a change notice or a status report). */
export interface SwitchReport {
  verb: 'SWITCH';
  /** 1-5, shared by ALCS and HCALCS on one meter. */
  idx: number;
  type: SwitchType;
  /** EUI-64 as XX-XX-XX-XX-XX-XX-XX-XX, upper case. */
  dev?: string;
  state: SwitchState;
  cause: SwitchCause;
  /** Minutes the commanded state lasts (1-1440); absent or 0 means until further notice. */
  durMin?: number;
  seq?: number;
}

export interface LabelReport {
  verb: 'LABEL';
  idx: number;
  text: string;
  seq?: number;
}

export interface BoostConfigReport {
  verb: 'BOOSTCFG';
  /** Switch numbers on the Boost Button; empty when none is assigned. */
  loads: number[];
  periodMin: number;
  seq?: number;
}

export interface BoostAction {
  verb: 'BOOST';
  action: 'press' | 'cancel';
  seq?: number;
}

export interface Heartbeat {
  verb: 'HB';
  seq?: number;
}

/** The end of an answer to a read request (`what` names what was asked for). */
export interface EndOfAnswer {
  verb: 'END';
  what: string;
  seq?: number;
}

export interface MeterError {
  verb: 'ERR';
  code: string;
  text?: string;
  seq?: number;
}

export type MeterReport = SwitchReport | LabelReport | BoostConfigReport | BoostAction | Heartbeat | EndOfAnswer | MeterError;

/** What the core may ask the meter side to send again. */
export type ReadWhat = 'switches' | 'boost';
