// The one request the agent makes of the meter side (PROTOCOL.md): READ what=switches|boost.
// Spelled here only, so the link, the shell and the emulator cannot drift apart on it.

import { formatLine } from './parse.js';

export const READ = 'READ';

export type ReadWhat = 'switches' | 'boost';

/** A full state: the switches (labels and END with them), then the Boost Button. */
export const FULL_STATE: readonly ReadWhat[] = ['switches', 'boost'];

const LINES: Record<ReadWhat, string> = {
  switches: formatLine(READ, { what: 'switches' }),
  boost: formatLine(READ, { what: 'boost' }),
};

/** The request line, without checksum or LF (the link adds them). */
export function readLine(what: ReadWhat): string {
  return LINES[what];
}
