// The command line's front door, main() in process: which command runs, where a reading
// command finds its event log (--db, --db=, or the config's eventLog.path), the usage and the
// exit codes a script sees.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN_JS, source } from '../../helpers/paths.js';
import { capturedValue } from '../../helpers/capture-std.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { EXIT } from '../../../agent/cli/shared/exit-codes.js';

interface Result {
  code: number;
  out: string;
  err: string;
}

// The entry runs main(process.argv) when imported: give it a harmless command first.
process.argv = [process.argv[0] as string, MAIN_JS, '--version'];
const { main } = (await capturedValue(() => import('../../../agent/main.js'))).value;

async function agent(args: string[]): Promise<Result> {
  const r = await capturedValue(() => main(args));
  return { code: r.value, out: r.out, err: r.err };
}

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

t.test('the front door', async (t) => {
  const dir = t.testdir({});
  const db = join(dir, 'events.db');
  let now = T0;
  const log = openEventLogStore(db, { clock: () => now });
  log.append({ kind: 'agent.start', data: { version: '0.1.0', dryRun: false } });
  now += 60_000;
  log.append({ kind: 'boost.denied', switchIdx: 3, data: { idx: 3, reason: 'not a boost switch' } });
  log.close();
  // The shipped example with its event log moved to the temp dir: a reader finds it through --config.
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, readFileSync(source('config/examples/alfen-tcp.yaml'), 'utf8').replace('/var/lib/hcalcs-agent/events.db', db));
  const version = (JSON.parse(readFileSync(source('package.json'), 'utf8')) as { version: string }).version;
  const bundle = join(dir, 'evidence.tar.gz');

  process.env.HCALCS_CONFIG = join(dir, 'absent.yaml');
  t.teardown(() => delete process.env.HCALCS_CONFIG);
  const ver = await agent(['--version']);
  const none = await agent([]);
  const help = await agent(['--help']);
  const unknown = await agent(['frobnicate']);
  const dbMissing = await agent(['log', '--db']);
  const verify = await agent(['verify-log', `--db=${db}`]);
  const viaConfig = await agent(['log', '--utc', '--config', config]);
  const viaDb = await agent(['log', '--utc', '--db', db, '--config', join(dir, 'ignored.yaml')]);
  const noConfig = await agent(['log']);
  const exportHelp = await agent(['export', '--help']);
  const evidenceHelp = await agent(['evidence', '--help']);
  const incidents = await agent(['incidents', '--db', db]);
  const history = await agent(['history', '--db', db]);
  const evidence = await agent(['evidence', '--db', db, '--since', '2026-11-28T11:00:00Z', '--until', '2026-11-28T13:00:00Z', '--out', bundle]);

  t.same(ver, { code: 0, out: `hcalcs-agent ${version}\n`, err: '' }, 'version');
  t.equal(none.code, 64, 'no command: bad usage');
  t.match(none.out, /^usage: hcalcs-agent <command>/);
  t.equal(help.code, 0, '--help is not an error');
  t.equal(help.out, none.out, 'the same usage');
  for (const line of help.out.split('\n')) t.ok(line.length <= 80, `usage fits 80 columns: ${line}`);
  // Every code of the one exit-code table is named in the usage, with its meaning after it.
  const status = help.out.slice(help.out.indexOf('Exit status:')).replace(/\s+/g, ' ');
  for (const [name, code] of Object.entries(EXIT)) t.match(status, new RegExp(`[:;] ${code} [a-zA-Z]`), `--help names exit code ${code} (${name})`);
  t.equal(unknown.code, 64);
  t.match(unknown.err, /^unknown command "frobnicate"\n\nusage:/);
  t.same(dbMissing, { code: 64, out: '', err: '--db needs a file path\n' }, '--db without a path');

  t.equal(verify.code, 0, `verify-log --db=FILE: ${verify.err}`);
  t.match(verify.out, /2 events/);
  t.equal(viaConfig.code, 0, `log --config: ${viaConfig.err}`);
  t.match(viaConfig.out, /12:01:00 boost\.denied .*switch 3: not a boost switch/, "the config's event log is read");
  t.equal(viaDb.code, 0, `--db wins over --config: ${viaDb.err}`);
  t.equal(viaDb.out, viaConfig.out, 'the same log, the same lines');
  t.equal(noConfig.code, 78, 'no --db and no config: config invalid');
  t.match(noConfig.err, /absent\.yaml/, 'the config it looked for is named');

  t.equal(exportHelp.code, 0);
  t.match(exportHelp.out, /^usage: hcalcs-agent export/);
  t.equal(evidenceHelp.code, 0);
  t.match(evidenceHelp.out, /^usage: hcalcs-agent evidence/);
  t.equal(incidents.code, 0, `incidents: ${incidents.err}`);
  t.equal(history.code, 0, `history: ${history.err}`);
  t.equal(evidence.code, 0, `evidence: ${evidence.err}`);
  t.ok(existsSync(bundle), 'the evidence bundle is written');
});

t.test('every command is reached: its own usage for --help, or its config refusal', async (t) => {
  const dir = t.testdir({});
  process.env.HCALCS_CONFIG = join(dir, 'absent.yaml');
  t.teardown(() => delete process.env.HCALCS_CONFIG);
  for (const command of ['demo', 'status', 'restore-now', 'manual-limit', 'sim', 'scenario', 'check-config', 'doctor']) {
    const r = await agent([command, '--help']);
    t.equal(r.code, 0, `${command} --help`);
    t.match(r.out, new RegExp(`^usage: hcalcs-agent ${command}\\b`), `${command}: its own usage, on stdout`);
    t.equal(r.err, '', `${command} --help: nothing on stderr`);
  }
  for (const args of [['run'], ['charger', 'probe', '--charger', 'garage']]) {
    const r = await agent(args);
    t.equal(r.code, 78, `${args.join(' ')} without a config: config invalid`);
    t.match(r.err, /absent\.yaml: cannot read the config file/, `${args.join(' ')} names the config it looked for`);
  }
});
