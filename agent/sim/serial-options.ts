// Serial line flags shared by the simulators: --baud, --parity, --data-bits, --stop-bits.

import type { Parity, SerialSettings } from '../../config/types.js';
import type { OptionsSpec, Values } from '../cli/shared/args.js';

export const SERIAL_OPTIONS = {
  baud: { type: 'string', nonEmpty: false },
  parity: { type: 'string', nonEmpty: false },
  'data-bits': { type: 'string', nonEmpty: false },
  'stop-bits': { type: 'string', nonEmpty: false },
} as const satisfies OptionsSpec;

export function serialFrom(values: Values<typeof SERIAL_OPTIONS>, defaults: SerialSettings): SerialSettings | { error: string } {
  const out: SerialSettings = { ...defaults };
  const baud = values['baud'];
  if (baud !== undefined) {
    const n = Number(baud);
    if (!Number.isInteger(n) || n < 50 || n > 4_000_000) return { error: `--baud ${baud}: expected a baud rate such as 9600 or 115200` };
    out.baudRate = n;
  }
  const parity = values['parity'];
  if (parity !== undefined) {
    if (!['none', 'even', 'odd'].includes(parity)) return { error: `--parity ${parity}: expected none, even or odd` };
    out.parity = parity as Parity;
  }
  const bits = values['data-bits'];
  if (bits !== undefined) {
    if (bits !== '7' && bits !== '8') return { error: `--data-bits ${bits}: expected 7 or 8` };
    out.dataBits = Number(bits) as 7 | 8;
  }
  const stop = values['stop-bits'];
  if (stop !== undefined) {
    if (stop !== '1' && stop !== '2') return { error: `--stop-bits ${stop}: expected 1 or 2` };
    out.stopBits = Number(stop) as 1 | 2;
  }
  return out;
}
