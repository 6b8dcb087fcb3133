#!/usr/bin/env node
// Compiles the whole tree (agent, drivers, config, scripts, test) to .build/ with full type
// checking, incrementally, with source maps (tsconfig.test.json), and copies the data files the
// compiled code reads. npm test runs it first; .ci/run runs it beside the lint and the native
// builds. Exits non-zero on a type error.
//
// A build that succeeded leaves a digest of everything it read (.build/.inputs): when no source,
// config or lock file has changed since, the next call skips tsc, whose incremental check alone
// costs ~4 s of a core on a busy machine (npm test right after .ci/run's own compile).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, '.build', '.inputs');
const TREES = ['agent', 'drivers', 'config', 'scripts', 'test'];
const FILES = ['tsconfig.json', 'tsconfig.test.json', 'package.json', 'package-lock.json'];

/** Every file under dir, at any depth, in name order. */
export function filesUnder(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A digest of every file the build reads: names and contents. */
function inputsDigest() {
  const hash = createHash('sha256');
  const trees = TREES.filter((t) => existsSync(join(ROOT, t))).flatMap((t) => filesUnder(join(ROOT, t)));
  for (const path of [...trees, ...FILES.map((f) => join(ROOT, f)).filter((f) => existsSync(f))]) {
    hash.update(relative(ROOT, path)).update('\0');
    hash.update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

/** True when .build/ is up to date and type-checked. */
export function buildTree() {
  const t0 = Date.now();
  const digest = inputsDigest();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest) {
    console.log('# .build/ is up to date (nothing it is built from has changed)');
    return true;
  }
  rmSync(STAMP, { force: true });
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.test.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) return false;
  const assets = spawnSync(process.execPath, [join(ROOT, 'scripts/copy-assets.mjs'), join(ROOT, '.build')], { stdio: 'inherit' });
  if (assets.status !== 0) return false;
  // The digest taken before the compile: a file edited while tsc ran makes the next call build.
  writeFileSync(STAMP, digest);
  console.log(`# built .build/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(buildTree() ? 0 : 1);
