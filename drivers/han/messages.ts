// The messages of the HAN line protocol v1 (drivers/han/PROTOCOL.md), as the parser
// hands them on. Pure types: the decision core imports them, so nothing here may do I/O.

export type SwitchState = 'open' | 'closed';
export type SwitchCause = 'dno' | 'supplier' | 'calendar' | 'boost' | 'reset' | 'unknown';
export type SwitchType = 'HCALCS' | 'ALCS';

/** SWITCH: the state of one auxiliary load switch (a change notice and a status report). */
export interface SwitchMessage {
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

export interface LabelMessage {
  verb: 'LABEL';
  idx: number;
  text: string;
  seq?: number;
}

export interface BoostConfigMessage {
  verb: 'BOOSTCFG';
  /** Switch numbers on the Boost Button; empty for `loads=-`. */
  loads: number[];
  periodMin: number;
  seq?: number;
}

export interface BoostMessage {
  verb: 'BOOST';
  action: 'press' | 'cancel';
  seq?: number;
}

export interface HeartbeatMessage {
  verb: 'HB';
  seq?: number;
  /** The meter side's clock, as sent (ISO 8601 UTC); informative only. */
  time?: string;
}

export interface EndMessage {
  verb: 'END';
  what: string;
  seq?: number;
}

export interface ErrorMessage {
  verb: 'ERR';
  code: string;
  text?: string;
  seq?: number;
}

export type HanMessage = SwitchMessage | LabelMessage | BoostConfigMessage | BoostMessage | HeartbeatMessage | EndMessage | ErrorMessage;

export type RejectReason = 'line_too_long' | 'bad_byte' | 'bad_checksum' | 'bad_syntax' | `missing_field:${string}` | `bad_value:${string}`;

/** What one line comes to. `fields` holds every key=value as received (unknown keys too). */
export type ParseOutcome =
  | { kind: 'message'; message: HanMessage; fields: Record<string, string> }
  | { kind: 'ignored'; verb: string; fields: Record<string, string> }
  | { kind: 'empty' }
  | { kind: 'rejected'; reason: RejectReason };
