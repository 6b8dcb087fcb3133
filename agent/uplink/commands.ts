// Which remote commands the uplink accepts. Only two, and neither can raise a limit above
// what a DNO asked for: restore-now (the owner's Reg 11 override, which only ends a
// restore delay after the DNO has closed its switch) and a manual-limit that can only
// lower. The broker's ACLs decide who may publish here; this decides what is accepted.

import type { StatusView } from '../core/index.js';

export const COMMAND_NAMES = ['restore-now', 'manual-limit'] as const;

export type Decision = { ok: true; name: string; args: Record<string, unknown> } | { ok: false; name: string; reason: string; requestId?: string };

const MAX_PAYLOAD = 4096;

function requestIdOf(body: Record<string, unknown>): string | undefined {
  const r = body.requestId;
  return typeof r === 'string' && r.length > 0 && r.length <= 128 ? r : undefined;
}

/**
 * name: the last topic level; view: the agent's state now (from the event log); pending: the
 * owner commands queued and not yet taken. A retained
 * message is refused: the broker would hand it over again on every reconnect, applying a
 * stale command again and again.
 */
export function decideCommand(
  name: string,
  payload: Buffer | string,
  retained: boolean,
  view: StatusView | undefined,
  pending: ReadonlyArray<{ name: string; args: Record<string, unknown> }> = [],
): Decision {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) return { ok: false, name, reason: `unknown command; accepted: ${COMMAND_NAMES.join(', ')}` };
  if (text.length > MAX_PAYLOAD) return { ok: false, name, reason: `payload over ${MAX_PAYLOAD} bytes` };
  let body: Record<string, unknown> = {};
  if (text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, name, reason: 'payload is not JSON' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, name, reason: 'payload must be a JSON object' };
    body = parsed as Record<string, unknown>;
  }
  const requestId = requestIdOf(body);
  const via = { by: 'fleet', via: 'mqtt', ...(requestId !== undefined ? { requestId } : {}) };
  const refuse = (reason: string): Decision => ({ ok: false, name, reason, ...(requestId !== undefined ? { requestId } : {}) });
  if (retained) return refuse('retained commands are refused (they would be applied again on every reconnect)');

  if (name === 'restore-now') return { ok: true, name, args: via };

  const chargerId = body.chargerId;
  const limitA = body.limitA;
  if (typeof chargerId !== 'string') return refuse('chargerId (a string) is required');
  if (limitA === null || limitA === undefined) return refuse('limitA is required; clearing a manual limit is not offered remotely (it could raise the limit)');
  if (typeof limitA !== 'number' || !Number.isFinite(limitA) || limitA < 0) return refuse('limitA must be a number >= 0');
  if (view === undefined) return refuse('the agent has no state yet; try again once it has applied a limit');
  const c = view.chargers.find((x) => x.id === chargerId);
  if (c === undefined) return refuse(`no charger "${chargerId}"`);
  // The new cap replaces the owner's cap; at or below both the applied limit and the cap
  // in force it can neither raise the charger now nor let a later restore go higher.
  // The view does not include a command still in the queue: judged against it, a fleet cap
  // could replace a lower cap the owner has just set.
  if (pending.some((p) => p.name === 'manual-limit' && p.args.chargerId === chargerId)) {
    return refuse(`a manual-limit for ${chargerId} is waiting to be applied; send again in a second`);
  }
  if (c.appliedA === null) return refuse(`${chargerId} has no limit applied yet; a remote manual-limit can only lower a known limit`);
  if (limitA > c.appliedA) return refuse(`${limitA} A is above the applied ${c.appliedA} A; a remote manual-limit can only lower`);
  if (c.manualLimitA !== null && limitA > c.manualLimitA) {
    return refuse(`${limitA} A is above the manual limit in force (${c.manualLimitA} A); a remote manual-limit can only lower`);
  }
  return { ok: true, name, args: { chargerId, limitA, ...via } };
}
