// A valid config as a plain object, for tests to break one thing at a time, and the small
// helpers that turn a case into YAML and compare problem lists.

import { stringify } from 'yaml';
import { parseConfig, type LoadOptions, type LoadResult } from '../../../config/load.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

export const PROFILES = ['alfen-eve', 'heidelberg-energy-control'];

export function baseDoc(): Doc {
  return {
    han: { port: '/dev/ttyUSB0' },
    chargers: [
      { id: 'garage', profile: 'alfen-eve', transport: { type: 'tcp', host: '192.168.1.40' }, unitId: 1, maxCurrentA: 32 },
      {
        id: 'drive',
        profile: 'heidelberg-energy-control',
        transport: { type: 'rtu', path: '/dev/ttyUSB1', serial: { baudRate: 19200, parity: 'even' } },
        unitId: 1,
        maxCurrentA: 16,
      },
    ],
    bindings: [
      { switch: 2, chargers: ['garage'] },
      { switch: 3, chargers: ['drive'], reducedCurrentA: 8 },
    ],
  };
}

export function parseDoc(doc: unknown, options: LoadOptions = {}): LoadResult {
  return parseConfig(stringify(doc), 'test.yaml', { cwd: '/srv/agent', ...options });
}

/** The path part of each `path: message` line, sorted. */
export function pathsOf(lines: readonly string[]): string[] {
  return lines.map((l) => l.slice(0, l.indexOf(': '))).sort();
}

export function problemsOf(r: LoadResult): string[] {
  return r.ok ? [] : r.problems;
}

export function warningsOf(r: LoadResult): string[] {
  return r.ok ? r.warnings : [];
}
