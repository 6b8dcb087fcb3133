// `hcalcs-agent charger profiles`: what profiles the agent finds, where each comes from,
// which file overrides which, and which files are broken (with their problems).

import type { Writable } from 'node:stream';
import type { ProfileCatalogue } from '../../drivers/charger/profile-catalogue.js';

export function listProfiles(cat: ProfileCatalogue, o: { json: boolean; out: Writable }): number {
  const entries = [...cat.profiles.values()].sort((a, b) => a.profile.id.localeCompare(b.profile.id));
  const broken = [...cat.broken.values()].sort((a, b) => a.id.localeCompare(b.id));
  if (o.json) {
    o.out.write(
      `${JSON.stringify({
        searched: cat.searched,
        profiles: entries.map((e) => ({
          id: e.profile.id,
          name: e.profile.name,
          origin: e.origin,
          file: e.file,
          overrides: e.overrides ?? null,
          confidence: e.profile.confidence,
        })),
        broken,
        notices: cat.notices,
      })}\n`,
    );
    return broken.length > 0 ? 1 : 0;
  }
  const lines = ['searched, in order (a later file overrides an earlier one of the same name):'];
  for (const s of cat.searched) lines.push(`  ${s.origin.padEnd(7)} ${s.dir}${s.found ? '' : '  (absent)'}`);
  lines.push('', 'profiles:');
  const w = Math.max(...entries.map((e) => e.profile.id.length), 7);
  for (const e of entries) {
    lines.push(`  ${e.profile.id.padEnd(w)}  ${e.origin.padEnd(7)}  ${e.profile.name}${e.origin !== 'shipped' ? `  (${e.file})` : ''}`);
    if (e.overrides) lines.push(`  ${''.padEnd(w)}  overrides ${e.overrides}`);
  }
  lines.push(`  ${'generic'.padEnd(w)}  config   the register map given in the charger's registers:`);
  if (broken.length > 0) {
    lines.push('', 'broken (chargers using these are disabled; check-config exits 78):');
    for (const b of broken) lines.push(`  ${b.id} (${b.origin})`, ...b.errors.map((e) => `    ${e}`));
  }
  o.out.write(`${lines.join('\n')}\n`);
  return broken.length > 0 ? 1 : 0;
}
