// How the benches start `run`: exactly as systemd/hcalcs-agent.service does, read from the unit
// file itself, so that a flag or a variable added to (or dropped from) the unit is what the
// figures are measured with; there is no second copy of them here to drift.
//
// From the unit: the Node options of ExecStart (what stands between `node` and the script), the
// script's own arguments, and every Environment= assignment; nothing of the bench's own
// environment but PATH (systemd's is clean). Two things differ, and only these: the installed tree (/opt/hcalcs-agent) is this checkout, and HCALCS_CONFIG names the
// bench's config instead of /etc/hcalcs-agent/config.yaml (the unit passes no --config; the
// agent reads the variable, as it does under systemd).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const UNIT_PATH = join(ROOT, 'systemd/hcalcs-agent.service');
const INSTALL_DIR = '/opt/hcalcs-agent/';

/**
 * Splits a systemd command line or Environment= value into words: whitespace separates,
 * double or single quotes group, a backslash escapes the next character.
 */
export function unitWords(text) {
  const words = [];
  let word = null;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word = word ?? '';
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote !== null) throw new Error(`unbalanced ${quote} in ${JSON.stringify(text)}`);
  if (word !== null) words.push(word);
  return words;
}

/** The [Service] section's assignments of one key, in order (continuation lines joined). */
function directives(unitText, key) {
  const lines = unitText.replace(/\\\n/g, ' ').split('\n');
  let section = '';
  const out = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]' && line.startsWith(`${key}=`)) out.push(line.slice(key.length + 1));
  }
  return out;
}

/**
 * What the unit starts: { nodeArgs, script, args, env } with script relative to the
 * install directory (dist/agent/main.js).
 */
export function unitCommand(unitText = readFileSync(UNIT_PATH, 'utf8')) {
  const exec = directives(unitText, 'ExecStart');
  if (exec.length !== 1) throw new Error(`expected one ExecStart= in the unit, found ${exec.length}`);
  // systemd's prefixes (-, @, :, +, !) change how it runs the line, not what runs; the unit uses none.
  if (/^[-@:+!]/.test(exec[0])) throw new Error(`ExecStart= with a prefix is not understood here: ${exec[0]}`);
  const words = unitWords(exec[0]);
  if (words[0] === '/usr/bin/env') words.shift();
  if (words[0] !== 'node') throw new Error(`ExecStart= does not start node: ${exec[0]}`);
  const at = words.findIndex((w) => w.startsWith(INSTALL_DIR));
  if (at === -1) throw new Error(`ExecStart= names no script under ${INSTALL_DIR}: ${exec[0]}`);
  const env = {};
  for (const value of directives(unitText, 'Environment')) {
    for (const assignment of unitWords(value)) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new Error(`Environment= item is not NAME=VALUE: ${assignment}`);
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  return { nodeArgs: words.slice(1, at), script: words[at].slice(INSTALL_DIR.length), args: words.slice(at + 1), env };
}

/**
 * spawn() arguments for `run` on configPath, as the unit starts it: [file, argv, options].
 * `options` may add stdio and the like; env and cwd come from here. `main`: another build's
 * main.js in place of this checkout's (a bench comparing builds), started the same way.
 */
export function agentSpawn(configPath, options = {}, main = undefined) {
  const u = unitCommand();
  // systemd gives a service a clean environment, not its caller's (no NODE_OPTIONS from a
  // shell, say): PATH, which it always sets, and the unit's own assignments.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...u.env, HCALCS_CONFIG: configPath };
  return [process.execPath, [...u.nodeArgs, main === undefined ? join(ROOT, u.script) : resolve(main), ...u.args], { ...options, cwd: ROOT, env }];
}

/** One line saying how the agent was started, for every bench's output. */
export function describeUnitStart() {
  const u = unitCommand();
  const env = Object.entries({ ...u.env, HCALCS_CONFIG: '<bench config>' })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `agent started as ${UNIT_PATH.slice(ROOT.length + 1)} starts it: node ${[...u.nodeArgs, u.script, ...u.args].join(' ')} (environment: ${env})`;
}
