// An EventQuery as SQL: the WHERE text, its parameters, and a key naming its shape so each
// shape is prepared once.
import type { EventQuery } from '../types.js';

/** Kinds are printable ASCII (< 0x7f), so every kind starting with p sorts in [p, p + "\x7f"). */
export function prefixUpper(prefix: string): string {
  return `${prefix}\x7f`;
}

export function whereClause(q: Omit<EventQuery, 'limit'>): { sql: string; key: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  let key = '';
  if (q.kind !== undefined) {
    terms.push('kind = ?');
    params.push(q.kind);
    key += 'k';
  }
  if (q.kindPrefix !== undefined) {
    terms.push('kind >= ? AND kind < ?');
    params.push(q.kindPrefix, prefixUpper(q.kindPrefix));
    key += 'p';
  }
  if (q.chargerId !== undefined) {
    terms.push('charger = ?');
    params.push(q.chargerId);
    key += 'c';
  }
  if (q.switchCaused !== undefined) {
    const ids = q.switchCaused.chargerIds;
    // Periodic samples are the charger's, not the switch's doing.
    terms.push(ids.length === 0 ? '"switch" = ?' : `("switch" = ? OR (charger IN (${ids.map(() => '?').join(', ')}) AND kind <> 'charger.sample'))`);
    params.push(q.switchCaused.switchIdx, ...ids);
    key += `S${ids.length}`;
  } else if (q.switchIdx !== undefined) {
    terms.push('"switch" = ?');
    params.push(q.switchIdx);
    key += 's';
  }
  if (q.sinceMs !== undefined) {
    terms.push('at_ms >= ?');
    params.push(q.sinceMs);
    key += 't';
  }
  if (q.untilMs !== undefined) {
    terms.push('at_ms < ?');
    params.push(q.untilMs);
    key += 'u';
  }
  if (q.excludeKinds !== undefined && q.excludeKinds.length > 0) {
    terms.push(`kind NOT IN (${q.excludeKinds.map(() => '?').join(', ')})`);
    params.push(...q.excludeKinds);
    key += `x${q.excludeKinds.length}`;
  }
  if (q.afterId !== undefined) {
    terms.push('id > ?');
    params.push(q.afterId);
    key += 'a';
  }
  return { sql: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, key, params };
}
