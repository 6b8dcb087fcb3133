// `hcalcs-agent doctor`: one command that checks an installation and says, for each problem,
// what to do. Read-only towards the chargers and the HAN line while the agent runs (one owner
// per line): then it reads what the agent reports; when the agent is down it tries the
// connections itself.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { configPathFrom } from '../../config/config-path.js';
import type { Config } from '../../config/types.js';
import { loadAgentConfig } from '../compose.js';
import { openEventLogStore } from '../event-log/store.js';
import { STATE_KEY_RUNTIME, type RuntimeSnapshot } from '../status-snapshot.js';
import { parseOptions } from './shared/args.js';
import { agentRunning } from './shared/agent-running.js';
import { EXIT } from './shared/exit-codes.js';
import { durationText } from './shared/time-text.js';
import { systemClock, type Clock } from '../../drivers/clock.js';

export const DOCTOR_USAGE = `usage: hcalcs-agent doctor [--json] [--config PATH] [--service-user NAME]
  Checks: config valid, HAN port present and usable by the service user, HAN lines
  arriving, each charger reachable, failsafe settings programmed, event log writable
  and its chain intact, disk space, clock synchronised, the agent running. Each
  problem with its fix. Exit 0 when nothing failed, 1 when something did.
`;

const OPTIONS = {
  json: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  'service-user': { type: 'string' },
} as const;

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';
export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

/** Below this the log (a year of history) cannot be trusted to fit. */
const DISK_FAIL_BYTES = 100 * 1024 * 1024;
const DISK_WARN_BYTES = 500 * 1024 * 1024;

export interface DoctorIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** The program's one Clock (drivers/clock.ts); tests pass a fake. */
  clock?: Clock;
  /** Overrides for tests: a clock-sync answer, a TCP probe. */
  clockSynced?: () => boolean | null;
}

function tcpReachable(host: string, port: number, timeoutMs = 1500): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (err: string | null) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once('connect', () => done(null));
    s.once('error', (e) => done(e.message));
  });
}

/** Can `user` (from /etc/passwd and /etc/group) read and write path? null when unknown. */
export function userCanReadWrite(user: string, path: string): boolean | null {
  let passwd: string;
  let group: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
    group = readFileSync('/etc/group', 'utf8');
  } catch {
    return null;
  }
  const pw = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === user);
  if (!pw) return null;
  const uid = Number(pw[2]);
  const gids = new Set([Number(pw[3])]);
  for (const l of group.split('\n')) {
    const f = l.split(':');
    if ((f[3] ?? '').split(',').includes(user)) gids.add(Number(f[2]));
  }
  const st = statSync(path);
  if (uid === 0) return true;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : gids.has(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & 6) === 6;
}

function systemClockSynced(): boolean | null {
  try {
    const v = execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 3000,
    }).trim();
    return v === 'yes' ? true : v === 'no' ? false : null;
  } catch {
    return null;
  }
}

export async function runChecks(config: Config | null, configProblem: string | null, io: DoctorIo, serviceUser: string): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const now = (io.clock ?? systemClock).now();
  if (config === null) {
    add({
      name: 'config',
      verdict: 'fail',
      detail: configProblem ?? 'invalid',
      fix: 'run hcalcs-agent check-config and correct each "path: message" it prints',
    });
    return checks;
  }
  add({ name: 'config', verdict: 'ok', detail: 'valid' });

  const path = config.eventLog.path;
  let snap: RuntimeSnapshot | undefined;
  let failsafe = new Map<string, { ok: boolean; atMs: number }>();
  let logOpen = false;
  try {
    const log = openEventLogStore(path, { readonly: true });
    logOpen = true;
    try {
      snap = log.loadState<RuntimeSnapshot>(STATE_KEY_RUNTIME);
      failsafe = new Map(
        config.chargers.flatMap((c) => {
          const r = log.query({ kind: 'charger.failsafe', chargerId: c.id, limit: 1 })[0];
          return r ? [[c.id, { ok: r.data.ok === true, atMs: r.atMs }] as const] : [];
        }),
      );
      const v = await log.verifyParallel();
      add(
        v.ok
          ? { name: 'event log chain', verdict: 'ok', detail: `${v.count} events intact${log.head() ? `, head ${log.head()!.hash.slice(0, 16)}...` : ''}` }
          : {
              name: 'event log chain',
              verdict: 'fail',
              detail: `broken at id ${v.firstBadId}: ${v.reason}`,
              fix: 'keep the file as evidence (copy it), note the head hash, and report it; start a new log by moving the file away',
            },
      );
    } finally {
      log.close();
    }
  } catch (err) {
    add({
      name: 'event log chain',
      verdict: existsSync(path) ? 'fail' : 'warn',
      detail: (err as Error).message,
      fix: existsSync(path)
        ? `check ${path} belongs to the service user (sudo -u ${serviceUser} hcalcs-agent verify-log)`
        : 'the agent creates it at its first start',
    });
  }
  const dir = dirname(path);
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
    add({ name: 'event log writable', verdict: 'ok', detail: path });
  } catch {
    const byService = existsSync(path) ? userCanReadWrite(serviceUser, path) : null;
    add(
      byService === true
        ? { name: 'event log writable', verdict: 'ok', detail: `${path} (by ${serviceUser}; not by this user)` }
        : { name: 'event log writable', verdict: 'fail', detail: `${existsSync(path) ? path : dir} is not writable`, fix: `chown -R ${serviceUser}: ${dir}` },
    );
  }
  try {
    const fs = statfsSync(existsSync(dir) ? dir : '/');
    const free = fs.bavail * fs.bsize;
    const mb = `${Math.round(free / 1024 / 1024)} MB free on ${dir}`;
    add(
      free < DISK_FAIL_BYTES
        ? { name: 'disk space', verdict: 'fail', detail: mb, fix: 'free space on that file system (old logs in /var/log, journalctl --vacuum-size=50M)' }
        : free < DISK_WARN_BYTES
          ? { name: 'disk space', verdict: 'warn', detail: mb, fix: 'free some space soon' }
          : { name: 'disk space', verdict: 'ok', detail: mb },
    );
  } catch (err) {
    add({ name: 'disk space', verdict: 'skip', detail: (err as Error).message });
  }

  const running = agentRunning(path, snap, now);
  add(
    running.running
      ? { name: 'agent running', verdict: 'ok', detail: `pid ${running.pid ?? '?'}${running.by === 'snapshot' ? ' (no instance lock)' : ''}` }
      : {
          name: 'agent running',
          verdict: 'fail',
          detail:
            running.how === 'never'
              ? 'it never ran with this event log'
              : `not running${running.sinceMs ? ` since ${new Date(running.sinceMs).toISOString()}` : ''}`,
          fix: 'systemctl start hcalcs-agent; then journalctl -u hcalcs-agent -n 50 if it stops again',
        },
  );

  // HAN port.
  const port = config.han.port;
  const tcp = /^tcp:\/\/([^:/]+):(\d+)$/.exec(port);
  if (running.running && snap) {
    add(
      snap.linkUp
        ? { name: 'HAN port', verdict: 'ok', detail: `${port}: the agent has the link up` }
        : {
            name: 'HAN port',
            verdict: 'fail',
            detail: `${port}: the agent's link is down`,
            fix: tcp ? `check the bridge at ${port} is up` : `check the HAN cable and that ${port} exists (ls -l ${port})`,
          },
    );
  } else if (tcp) {
    const e = await tcpReachable(tcp[1]!, Number(tcp[2]));
    add(
      e === null
        ? { name: 'HAN port', verdict: 'ok', detail: `${port} accepts connections` }
        : {
            name: 'HAN port',
            verdict: 'fail',
            detail: `${port}: ${e}`,
            fix: 'start the serial bridge (or the HAN emulator) at that address, or correct han.port',
          },
    );
  } else if (!existsSync(port)) {
    add({
      name: 'HAN port',
      verdict: 'fail',
      detail: `${port} does not exist`,
      fix: `plug in the HAN radio module's serial adapter; ls /dev/serial/by-id/ shows its stable name for han.port`,
    });
  } else {
    const can = userCanReadWrite(serviceUser, port);
    add(
      can === false
        ? {
            name: 'HAN port',
            verdict: 'fail',
            detail: `${port} is not readable and writable by ${serviceUser}`,
            fix: `usermod -aG dialout ${serviceUser} (or install the udev rule from systemd/), then restart the service`,
          }
        : {
            name: 'HAN port',
            verdict: can === null ? 'warn' : 'ok',
            detail: `${port} present${can === null ? `; cannot tell whether ${serviceUser} may use it (no such user here)` : ` and usable by ${serviceUser}`}`,
          },
    );
  }
  // HAN lines.
  if (running.running && snap) {
    const last = snap.lastLineAtMs;
    const staleMs = config.rules.link.staleAfterS * 1000;
    if (last === null)
      add({
        name: 'HAN lines',
        verdict: 'fail',
        detail: 'no line heard since the agent started',
        fix: 'check the radio module is paired with the meter and the line settings (han.serial)',
      });
    else
      add(
        now - last <= staleMs
          ? { name: 'HAN lines', verdict: 'ok', detail: `last line ${durationText(now - last)} ago` }
          : {
              name: 'HAN lines',
              verdict: 'fail',
              detail: `last line ${durationText(now - last)} ago (stale after ${config.rules.link.staleAfterS} s)`,
              fix: 'check the radio module and its cable; hcalcs-agent log --kind-prefix link. shows when it stopped',
            },
      );
  } else add({ name: 'HAN lines', verdict: 'skip', detail: 'the agent is not running; nothing to read' });

  // Chargers.
  for (const c of config.chargers) {
    const name = `charger ${c.id}`;
    const live = snap?.chargers[c.id];
    if (running.running && live) {
      add(
        live.connected
          ? { name, verdict: 'ok', detail: 'connected (as the agent reports)' }
          : {
              name,
              verdict: 'fail',
              detail: `not connected: ${String(live.lastError ?? 'unknown')}`,
              fix:
                c.transport.type === 'tcp'
                  ? `check ${c.id} is powered and on the network at ${c.transport.host}:${c.transport.port}, and Modbus TCP is enabled on it`
                  : `check the RS-485 wiring on ${c.transport.path} and unit id ${c.unitId ?? 'default'}`,
            },
      );
    } else if (c.transport.type === 'tcp') {
      const e = await tcpReachable(c.transport.host, c.transport.port);
      add(
        e === null
          ? { name, verdict: 'ok', detail: `${c.transport.host}:${c.transport.port} accepts connections` }
          : {
              name,
              verdict: 'fail',
              detail: `${c.transport.host}:${c.transport.port}: ${e}`,
              fix: `check ${c.id} is powered and on the network, and Modbus TCP is enabled on it`,
            },
      );
    } else {
      add(
        existsSync(c.transport.path)
          ? { name, verdict: 'ok', detail: `${c.transport.path} present` }
          : {
              name,
              verdict: 'fail',
              detail: `${c.transport.path} does not exist`,
              fix: 'plug in the RS-485 adapter; ls /dev/serial/by-id/ for its stable name',
            },
      );
    }
    const fs = failsafe.get(c.id);
    add(
      fs === undefined
        ? {
            name: `failsafe ${c.id}`,
            verdict: logOpen ? 'fail' : 'skip',
            detail: 'never written (no charger.failsafe event)',
            fix: 'start the agent with the charger reachable: it writes the failsafe settings on connect',
          }
        : fs.ok
          ? { name: `failsafe ${c.id}`, verdict: 'ok', detail: `written and read back ${new Date(fs.atMs).toISOString().slice(0, 16)}Z` }
          : {
              name: `failsafe ${c.id}`,
              verdict: 'fail',
              detail: 'the last write did not read back',
              fix: `hcalcs-agent log --kind charger.failsafe --charger ${c.id} --wide shows what differed; set it on the charger if the profile says so`,
            },
    );
  }

  // Clock.
  const synced = (io.clockSynced ?? systemClockSynced)();
  add(
    synced === true
      ? { name: 'clock', verdict: 'ok', detail: 'synchronised (timedatectl)' }
      : synced === false
        ? { name: 'clock', verdict: 'fail', detail: 'not synchronised', fix: 'timedatectl set-ntp true; check the gateway reaches an NTP server' }
        : { name: 'clock', verdict: 'skip', detail: 'timedatectl not available here; cannot tell' },
  );
  return checks;
}

const MARK: Record<Verdict, string> = { ok: '[ OK ]', warn: '[WARN]', fail: '[FAIL]', skip: '[SKIP]' };

export function formatChecks(checks: Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    const line = `${MARK[c.verdict]} ${c.name}: ${c.detail}`;
    lines.push(line.length > 80 ? line.slice(0, 77) + '...' : line);
    if (c.fix && (c.verdict === 'fail' || c.verdict === 'warn')) {
      // Fixes are wrapped, never cut: they are what the engineer has to type.
      let rest = `fix: ${c.fix}`;
      while (rest.length > 73) {
        const at = rest.lastIndexOf(' ', 73);
        const cutAt = at > 10 ? at : 73;
        lines.push(`       ${rest.slice(0, cutAt)}`);
        rest = rest.slice(cutAt).trimStart();
      }
      lines.push(`       ${rest}`);
    }
  }
  const failed = checks.filter((c) => c.verdict === 'fail').length;
  lines.push(failed === 0 ? 'all checks passed' : `${failed} check${failed === 1 ? '' : 's'} failed`);
  return lines.join('\n') + '\n';
}

export async function doctorCommand(argv: string[], io: DoctorIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    io.out.write(DOCTOR_USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') {
    io.err.write(`hcalcs-agent doctor: ${parsed.message}\n${DOCTOR_USAGE}`);
    return EXIT.USAGE;
  }
  const v = parsed.values;
  const where = configPathFrom(v.config !== undefined ? ['--config', v.config] : [], io.env);
  if (!where.ok) {
    io.err.write(`hcalcs-agent doctor: ${where.error}\n`);
    return EXIT.USAGE;
  }
  const loaded = loadAgentConfig(where.path);
  const checks = await runChecks(
    loaded.ok ? loaded.config : null,
    loaded.ok ? null : `${where.path}: ${loaded.problems.slice(0, 3).join('; ')}`,
    io,
    v['service-user'] ?? 'hcalcs',
  );
  if (v.json === true) io.out.write(JSON.stringify({ ok: !checks.some((c) => c.verdict === 'fail'), checks }) + '\n');
  else io.out.write(formatChecks(checks));
  return checks.some((c) => c.verdict === 'fail') ? EXIT.FAIL : EXIT.OK;
}
