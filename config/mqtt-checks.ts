// Rules for the `mqtt:` section the schema cannot say: a broker URL the client can use, one
// source of the password, certificate and key together, and files that exist. The uplink
// reads these files when it starts; a typo found here fails check-config (exit 78) instead
// of leaving a gateway silently unreachable for the fleet.

import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatPath, type Problem } from './schema-errors.js';
import type { MqttConfig } from './types.js';

const SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:']);
const TLS_SCHEMES = new Set(['mqtts:', 'wss:']);
const FILE_KEYS = [['passwordFile'], ['tls', 'ca'], ['tls', 'cert'], ['tls', 'key']] as const;

type Seg = string | number;

function at(doc: unknown, path: readonly Seg[]): unknown {
  let node = doc;
  for (const seg of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<Seg, unknown>)[seg];
  }
  return node;
}

function fileProblem(path: string): { error?: string; warning?: string } {
  try {
    if (!statSync(path).isFile()) return { error: `${path} is not a file` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `${path}: no such file` : `${path}: ${(e as Error).message}` };
  }
  try {
    accessSync(path, constants.R_OK);
  } catch {
    // check-config is often run by an engineer who is not the service user; the file may
    // be readable by the service alone (as a password file should be).
    return { warning: `${path} is not readable by this user; the agent's service user must be able to read it` };
  }
  return {};
}

/** Problems of doc.mqtt (the whole config document after defaults); badPaths: already reported. */
export function mqttCheck(doc: unknown, badPaths: ReadonlySet<string>, cwd: string = process.cwd()): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const section = at(doc, ['mqtt']);
  if (typeof section !== 'object' || section === null || badPaths.has('mqtt')) return { errors, warnings };
  const usable = (path: readonly Seg[]): boolean => {
    for (let n = 1; n <= path.length; n++) if (badPaths.has(formatPath(['mqtt', ...path.slice(0, n)]))) return false;
    return true;
  };
  const get = (path: readonly Seg[]): unknown => (usable(path) ? at(section, path) : undefined);
  const err = (path: readonly Seg[], message: string) => errors.push({ path: formatPath(['mqtt', ...path]), message });
  const warn = (path: readonly Seg[], message: string) => warnings.push({ path: formatPath(['mqtt', ...path]), message });

  const rawUrl = get(['url']);
  let scheme: string | undefined;
  if (typeof rawUrl === 'string' && rawUrl !== '') {
    let url: URL | undefined;
    try {
      url = new URL(rawUrl);
    } catch {
      err(['url'], `${JSON.stringify(rawUrl)} is not a URL; use mqtt://host:1883, mqtts://host:8883, ws://host/path or wss://host/path`);
    }
    if (url !== undefined) {
      if (!SCHEMES.has(url.protocol)) err(['url'], `scheme ${url.protocol.slice(0, -1)} is not one of mqtt, mqtts, ws, wss`);
      else if (url.hostname === '') err(['url'], 'names no broker host');
      else if (url.username !== '' || url.password !== '')
        err(['url'], 'must not carry credentials (they would show in logs and status); use username with password or passwordFile');
      else scheme = url.protocol;
    }
  }

  for (const key of [['topicPrefix'], ['homeAssistant', 'discoveryPrefix']] as const) {
    const v = get(key);
    if (typeof v !== 'string') continue;
    if (/[+#]/.test(v)) err(key, `must not contain the MQTT wildcards + or #, got ${JSON.stringify(v)}`);
    else if (v === '' || v.startsWith('/') || v.endsWith('/')) err(key, `must not be empty or start or end with /, got ${JSON.stringify(v)}`);
    else if (v.includes('//')) err(key, `must not contain an empty level (//), got ${JSON.stringify(v)}`);
  }

  const password = get(['password']);
  const passwordFile = get(['passwordFile']);
  if (password !== undefined && passwordFile !== undefined) err(['passwordFile'], 'give password or passwordFile, not both');
  if ((password !== undefined || passwordFile !== undefined) && get(['username']) === undefined && usable(['username'])) {
    err([password !== undefined ? 'password' : 'passwordFile'], 'a password needs a username (MQTT 3.1.1)');
  }

  const cert = get(['tls', 'cert']);
  const key = get(['tls', 'key']);
  if (cert !== undefined && key === undefined) err(['tls', 'key'], 'tls.cert needs tls.key (the private key of the client certificate)');
  if (key !== undefined && cert === undefined) err(['tls', 'cert'], 'tls.key needs tls.cert');
  const tls = get(['tls']);
  const hasTlsFiles = typeof tls === 'object' && tls !== null && ['ca', 'cert', 'key'].some((k) => (tls as Record<string, unknown>)[k] !== undefined);
  if (scheme !== undefined && !TLS_SCHEMES.has(scheme) && hasTlsFiles) {
    warn(['tls'], `is ignored for ${scheme.slice(0, -1)}:// (no TLS); use mqtts:// or wss:// to encrypt`);
  }
  if (get(['tls', 'rejectUnauthorized']) === false)
    warn(['tls', 'rejectUnauthorized'], 'false accepts any broker certificate: anyone on the path can read and inject messages');

  if (get(['enabled']) !== false) {
    for (const path of FILE_KEYS) {
      const v = get(path);
      if (typeof v !== 'string' || v === '') continue;
      const found = fileProblem(resolve(cwd, v));
      if (found.error) err(path, found.error);
      if (found.warning) warn(path, found.warning);
    }
  }
  return { errors, warnings };
}

/** Resolves the section's file paths the way eventLog.path is (against the start directory). */
export function resolveMqttPaths(mqtt: MqttConfig | undefined, cwd: string): void {
  if (mqtt === undefined) return;
  if (mqtt.passwordFile !== undefined) mqtt.passwordFile = resolve(cwd, mqtt.passwordFile);
  for (const k of ['ca', 'cert', 'key'] as const) {
    const v = mqtt.tls[k];
    if (v !== undefined) mqtt.tls[k] = resolve(cwd, v);
  }
}
