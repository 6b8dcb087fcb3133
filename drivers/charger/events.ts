// The event kinds the charger layer reports (the supervisor, and the composition root for a
// charger it cannot drive), each with the shape of its data. The runtime records them as
// they come; agent/core/EVENTS.md says what each means.

import type { FailsafeReport } from './profile-driver.js';

/** Why a write went out: a new limit, or the supervisor mending or confirming one. */
export type WriteReason = 'change' | 'heal' | 'retry' | 'connect' | 'verify-retry' | 'refresh';

export interface ChargerEvents {
  'charger.connected': { profileId: string; keepAlivePeriodMs: number | null };
  'charger.connect-failed': { error: string; attempt: number; retryInMs: number };
  'charger.disconnected': { error: string };
  'charger.failsafe': Pick<FailsafeReport, 'wrote' | 'readBack' | 'ok' | 'timeoutS' | 'timeoutSource' | 'notes'>;
  'charger.write': {
    limitA: number;
    ok: boolean;
    readBackA: number | null;
    durationMs: number;
    error: string | null;
    reason: WriteReason;
    /** null: no limit asked for with an explanation yet. */
    explanation: string | null;
  };
  'charger.would-write': { limitA: number; explanation: string };
  'charger.verified':
    | { limitA: number; confirmMs: number; measuredA: number; attempt: number | undefined; late: boolean }
    | { limitA: number; confirmMs: number; by: 'read-back'; late: false };
  'charger.alarm':
    | { reason: 'failsafe settings not confirmed'; notes: string[]; wrote: FailsafeReport['wrote']; readBack: FailsafeReport['readBack'] }
    | {
        reason: 'no reading within the window' | 'measured current above the limit';
        limitA: number;
        measuredA: number | null;
        allowedA: number;
        attempts: number;
        windowMs: number;
        sinceWriteMs: number;
      }
    | { reason: 'profile invalid: charger disabled'; problems: string[] };
  'charger.keepalive.error': { error: string; during?: 'connect' };
  'charger.read.error': { error: string; during: 'read-back' | 'read' | 'verification' };
  'charger.healed': { foundA: number; limitA: number; kind: 'setpoint' | 'applied'; ok: boolean };
  'charger.reconnected': { note: string };
  'charger.reenabled': { afterFailedPeriods: number; ok: boolean; notes: string[] };
}

export type ChargerEventKind = keyof ChargerEvents;

/** Every charger kind, as data: a kind missing here, or one too many, fails to compile. */
const CHARGER_KINDS: Record<ChargerEventKind, true> = {
  'charger.connected': true,
  'charger.connect-failed': true,
  'charger.disconnected': true,
  'charger.failsafe': true,
  'charger.write': true,
  'charger.would-write': true,
  'charger.verified': true,
  'charger.alarm': true,
  'charger.keepalive.error': true,
  'charger.read.error': true,
  'charger.healed': true,
  'charger.reconnected': true,
  'charger.reenabled': true,
};

export const CHARGER_EVENT_KINDS = Object.keys(CHARGER_KINDS) as ChargerEventKind[];

/** The machine's effect that reports one event (machine/types.ts); with no argument, any of them. */
export type ChargerEventEffect<K extends ChargerEventKind = ChargerEventKind> = {
  [P in K]: { type: 'emit'; kind: P; data: ChargerEvents[P] };
}[K];

/** Where a charger's events go: a kind the layer does not know, or wrong data, fails to compile. */
export type ChargerEventSink = <K extends ChargerEventKind>(kind: K, chargerId: string, data: ChargerEvents[K]) => void;
