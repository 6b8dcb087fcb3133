// README "Adding a charger", done as written: the charger of config/examples/generic-tcp.yaml
// (setpoint 300 in 0.1 A by FC06, status input 100, heartbeat to 301 within 10 s, fallback
// current in 302) as a pymodbus peer with that 10 s watchdog; the example file unchanged but
// for the charger's address. check-config, probe, failsafe-test twice in a row (the second
// starts with the charger in its fallback and must still prove everything afresh), then run.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfigCommand } from '../../agent/cli/check-config.js';
import { profileViewFactory } from '../../agent/profile-view.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer } from '../helpers/pymodbus-peer.js';
import { EXAMPLE, exampleConfig, exampleWatchdog, runCli } from './example-charger.js';
import { freePort, waitUntil } from './profile-rig.js';
import { MAIN_JS } from '../helpers/paths.js';

t.test('the generic worked example: check-config, probe, failsafe-test x2, run', needs('pymodbus'), async (t) => {
  const peer = await startPymodbusPeer({ units: { 1: { input: { 100: 1 } } }, watchdog: exampleWatchdog(10) });
  const dir = mkdtempSync(join(tmpdir(), 'worked-example-'));
  t.teardown(async () => {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const hanPort = await freePort();
  const yaml = readFileSync(EXAMPLE, 'utf8')
    .replace('host: 192.168.1.50, port: 502', `host: 127.0.0.1, port: ${peer.port}`)
    .replace('path: /var/lib/hcalcs-agent/events.db', `path: ${join(dir, 'events.db')}`)
    .replace(/port: \/dev\/serial\/by-id\/\S+/u, `port: tcp://127.0.0.1:${hanPort}`);
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);

  let out = '';
  let err = '';
  const cc = await checkConfigCommand(['--config', file], {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    profiles: profileViewFactory({ brokenFiles: 'error', siteDir: join(dir, 'none') }),
  });
  t.equal(cc, 0, err);
  t.match(out, /config OK: 1 chargers, 1 bindings/);

  const config = exampleConfig(peer.port, dir);
  const probe = await runCli(config, dir, ['probe', '--charger', 'driveway']);
  t.equal(probe.code, 0, probe.errText);
  t.match(probe.text, /driveway: generic register map of driveway \(profile generic, confidence low\)/);
  t.match(probe.text, /state B/);
  t.match(probe.text, /keep-alive: heartbeat-value every 2500 ms/);

  const first = await runCli(config, dir, ['failsafe-test', '--charger', 'driveway', '--json', '--poll-ms', '500']);
  t.equal(first.code, 0, first.text + first.errText);
  t.equal(first.json!.outcome, 'PASS', String(first.json!.reason));
  t.same(first.json!.boundsMs, { lower: 9000, upper: (first.json!.boundsMs as { upper: number }).upper });
  await peer.sync();
  t.same(await peer.readRegisters(1, 'holding', 300, 1), [60], 'the peer is on its fallback current after the first run');

  // Straight on: the charger sits at its fallback. The second run must earn its result again.
  const fromEvents = peer.events().length;
  const second = await runCli(config, dir, ['failsafe-test', '--charger', 'driveway', '--json', '--poll-ms', '500']);
  t.equal(second.code, 0, second.text + second.errText);
  t.equal(second.json!.outcome, 'PASS', String(second.json!.reason));
  t.equal(second.json!.heldA, 32, 'the hold limit was seen held before the keep-alive stopped');
  t.ok((second.json!.lastHeldMs as number) >= 9000, `held at +${String(second.json!.lastHeldMs)} ms, inside the tolerance window`);
  await peer.sync();
  const fired = peer
    .events()
    .slice(fromEvents)
    .filter((e) => e.event === 'failsafe');
  t.equal(fired.length, 1, 'the peer fell back once during the second run');
  const lastBeat = peer
    .writes()
    .filter((w) => w.address === 301)
    .at(-1)!;
  t.ok((fired[0]!.t as number) - lastBeat.t >= 9990, `and ${((fired[0]!.t as number) - lastBeat.t).toFixed(0)} ms after the last heartbeat`);

  // run: the agent keeps the charger alive and writes a limit.
  const beatsBefore = peer.writes().filter((w) => w.address === 301).length;
  const child = spawn(process.execPath, [MAIN_JS, 'run', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HCALCS_CONFIG: file },
  });
  let childErr = '';
  child.stderr!.on('data', (d: Buffer) => (childErr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const enough = await waitUntil(() => {
    const beats = peer.writes().filter((w) => w.address === 301).length - beatsBefore;
    return beats >= 4 && peer.writes().some((w) => w.address === 300 && w.t > lastBeat.t) ? true : undefined;
  }, 60_000);
  t.ok(enough, `run: heartbeats and a limit written (stderr: ${childErr.slice(-400)})`);
  const beats = peer
    .writes()
    .filter((w) => w.address === 301)
    .slice(beatsBefore);
  const gaps = beats.slice(1).map((w, i) => w.t - beats[i]!.t);
  t.ok(
    gaps.every((g) => g < 5000),
    `heartbeat gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms, well inside the 10 s watchdog`,
  );
  t.same(await peer.readRegisters(1, 'holding', 302, 1), [60], 'run wrote the 6 A failsafe current to 302');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'run stops cleanly on SIGTERM');
});
