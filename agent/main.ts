#!/usr/bin/env node
// The command line and composition root: the only place that wires modules together.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configPathFrom } from '../config/config-path.js';
import { isHelp } from './cli/shared/args.js';
import { EXIT, exitStatusText } from './cli/shared/exit-codes.js';

// Each command is imported when it runs: `run` is a long-lived service on a small gateway,
// and every module loaded stays resident for its life (the CLI's readers, the simulators,
// the scenario runner, tar and the evidence bundle cost `run` megabytes it never uses).
// The three modules above import nothing heavy.

const USAGE = `usage: hcalcs-agent <command> [options]      (COMMAND --help for each)

Commands:
  run [--dry-run]             run the agent (--dry-run: decide, log, no writes)
  demo [--keep-running]       the built-in story: HAN emulator + charger sim
  status [--verbose]          running or not, switches, each charger's limit
  doctor [--json]             check the installation; each problem with its fix
  log [--since T] [--until T] [--follow] [--switch N]   events, local time
  incidents [--since T]       every reduction: when, why, how long, energy
  history [--since T]         charging sessions: kWh, time limited, by whom
  verify-log                  check the event log's hash chain
  export [--since T] [--until T] [--kind K] [--charger ID] [--out FILE]
  evidence --since T --until T --out FILE.tar.gz   a bundle for the DNO
  check-config                validate the config: each problem "path: message"
  restore-now [--queue]       the owner cancels a pending restore delay
  manual-limit --charger ID (--limit A | --clear) [--queue]   owner's own cap
  charger probe|read|set|failsafe-test --charger ID   field tools, one charger
  charger profiles [--json]   charger profiles found, where from, broken files
  sim meter|charger [options]  the rig's simulators: meter side, Modbus charger
  scenario run FILE... [--junit F]   scenarios against a rig: text, TAP, JUnit
  version

Commands take --config PATH (default $HCALCS_CONFIG, else
/etc/hcalcs-agent/config.yaml); log, incidents, history, verify-log, export,
evidence and status also take --db FILE to read an event log directly.
${exitStatusText()}`;

function version(): string {
  // dist/agent/main.js and agent/main.ts sit at different depths below package.json.
  for (const up of ['../../package.json', '../package.json']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** The event log a reading command opens: --db PATH, else the config's eventLog.path. */
async function eventLogPathFrom(argv: string[]): Promise<{ ok: true; path: string; rest: string[] } | { ok: false; code: number }> {
  const i = argv.findIndex((a) => a === '--db' || a.startsWith('--db='));
  if (i >= 0) {
    const a = argv[i] as string;
    const path = a === '--db' ? argv[i + 1] : a.slice('--db='.length);
    if (!path) {
      process.stderr.write('--db needs a file path\n');
      return { ok: false, code: EXIT.USAGE };
    }
    const rest = [...argv.slice(0, i), ...argv.slice(i + (a === '--db' ? 2 : 1))];
    return { ok: true, path, rest: stripConfig(rest) };
  }
  const { configForCommand } = await import('./compose.js');
  const loaded = configForCommand('log', argv);
  if (!loaded.ok) return loaded;
  return { ok: true, path: loaded.config.eventLog.path, rest: loaded.rest };
}

function stripConfig(argv: string[]): string[] {
  const where = configPathFrom(argv, {});
  return where.ok ? where.rest : argv;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { out: process.stdout, err: process.stderr };
  switch (command) {
    case 'run':
      return (await import('./cli/run.js')).runCommand(rest);
    case 'demo':
      return (await import('./cli/demo.js')).demoCommand(rest);
    case 'status':
      return (await import('./cli/status.js')).statusCommand(rest);
    case 'restore-now':
      return (await import('./cli/restore-now.js')).restoreNowCommand(rest);
    case 'manual-limit':
      return (await import('./cli/manual-limit.js')).manualLimitCommand(rest);
    case 'charger':
      return (await import('./cli/charger-entry.js')).chargerCliCommand(rest);
    case 'sim':
      return (await import('./cli/sim.js')).simCommand(rest);
    case 'scenario':
      return (await import('./cli/scenario.js')).scenarioCommand(rest);
    case 'check-config': {
      const [{ checkConfigCommand }, { profileViewFactory }] = await Promise.all([import('./cli/check-config.js'), import('./profile-view.js')]);
      return checkConfigCommand(rest, {
        ...io,
        profiles: profileViewFactory({ brokenFiles: 'error' }),
        profilesAsRun: profileViewFactory({ brokenFiles: 'warning' }),
      });
    }
    case 'log':
    case 'incidents':
    case 'history':
    case 'verify-log':
    case 'export': {
      // --help needs no config and no event log.
      const where = isHelp(rest) ? { ok: true as const, path: '', rest } : await eventLogPathFrom(rest);
      if (!where.ok) return where.code;
      const ctx = { eventLogPath: where.path, out: process.stdout };
      if (command === 'log') return (await import('./cli/log.js')).logCommand(where.rest, ctx);
      if (command === 'incidents') return (await import('./cli/incidents.js')).incidentsCommand(where.rest, ctx);
      if (command === 'history') return (await import('./cli/history.js')).historyCommand(where.rest, ctx);
      if (command === 'verify-log') return (await import('./cli/verify-log.js')).verifyLogCommand(where.rest, ctx);
      return (await import('./cli/export.js')).exportCommand(where.rest, ctx);
    }
    case 'doctor':
      return (await import('./cli/doctor.js')).doctorCommand(rest);
    case 'evidence': {
      const { evidenceCommand } = await import('./cli/evidence.js');
      if (isHelp(rest)) return evidenceCommand(rest, { eventLogPath: '', out: process.stdout });
      const where = await eventLogPathFrom(rest);
      if (!where.ok) return where.code;
      const named = rest.some((a) => a === '--config' || a === '-c' || a.startsWith('--config='));
      const hasDb = rest.some((a) => a === '--db' || a.startsWith('--db='));
      const cfg = configPathFrom(rest, process.env);
      const configPath = cfg.ok && (named || !hasDb) ? cfg.path : undefined;
      return evidenceCommand(where.rest, { eventLogPath: where.path, out: process.stdout, ...(configPath ? { configPath } : {}) });
    }
    case 'version':
    case '--version':
      process.stdout.write(`hcalcs-agent ${version()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? EXIT.USAGE : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return EXIT.USAGE;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hcalcs-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
