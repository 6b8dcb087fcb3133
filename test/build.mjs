#!/usr/bin/env node
// Compiles the whole tree (agent, drivers, config, scripts, test) to .build/ with full type
// checking, incrementally, with source maps (tsconfig.test.json), and copies the data files the
// compiled code reads. npm test runs it first; .ci/run runs it beside the lint and the native
// builds. Exits non-zero on a type error.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** True when .build/ is up to date and type-checked. */
export function buildTree() {
  const t0 = Date.now();
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.test.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) return false;
  const assets = spawnSync(process.execPath, [join(ROOT, 'scripts/copy-assets.mjs'), join(ROOT, '.build')], { stdio: 'inherit' });
  if (assets.status !== 0) return false;
  console.log(`# built .build/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(buildTree() ? 0 : 1);
