// `hcalcs-agent scenario run|check FILE...`: test scenarios against a rig. Every file is
// checked before anything runs (problems as `FILE: path: message`, exit 78); then each
// scenario runs from a clean agent state, and the report goes out as text, TAP or JUnit XML.
// Exit 0 only when every scenario passed.

import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadScenario } from '../scenario/load.js';
import { runScenario, type ScenarioResult } from '../scenario/run.js';
import { junitReport, summaryLine, tapReport, textReport } from '../scenario/report.js';
import type { Scenario } from '../scenario/types.js';
import { parseOptions, type OptionsSpec } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';

export const SCENARIO_USAGE = `usage: hcalcs-agent scenario run FILE|DIR... [options]
       hcalcs-agent scenario check FILE|DIR...
  run      check every file, then run each scenario against its rig and report
  check    check the files only (exit 0 valid, 78 not)
  A directory stands for the *.yaml files in it.
Options of run:
  --junit FILE     also write JUnit XML (one testsuite per scenario, one testcase per step)
  --tap            report as TAP on stdout instead of text
  --jobs N         run N scenarios at once (default 1; only simulated rigs can share a machine)
  --keep           keep every run directory (a failed scenario's is always kept)
  --work-dir DIR   where run directories go (default the system temp dir)
  --agent CMD      the agent to test, e.g. "hcalcs-agent" or "node /opt/hcalcs-agent/dist/agent/main.js"
                   (default: this installation's)
`;

const OPTIONS = {
  junit: { type: 'string', nonEmpty: false },
  tap: { type: 'boolean' },
  jobs: { type: 'string', nonEmpty: false },
  keep: { type: 'boolean' },
  'work-dir': { type: 'string', nonEmpty: false },
  agent: { type: 'string', nonEmpty: false },
} as const satisfies OptionsSpec;

function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    try {
      if (statSync(p).isDirectory())
        return readdirSync(p)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(p, f));
    } catch {
      // A missing file is reported by the loader with its name.
    }
    return [p];
  });
}

export async function scenarioCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'run' && sub !== 'check') {
    (sub === '--help' || sub === 'help' ? process.stdout : process.stderr).write(SCENARIO_USAGE);
    return sub === '--help' || sub === 'help' ? 0 : EXIT.USAGE;
  }
  const parsed = parseOptions(rest, OPTIONS, { positionals: true, once: true });
  if (parsed.kind === 'help') {
    out.write(SCENARIO_USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`scenario: ${parsed.message}\n${SCENARIO_USAGE}`);
    return EXIT.USAGE;
  }
  const v = parsed.values;
  const files = expand(parsed.positionals);
  if (files.length === 0) {
    process.stderr.write(`scenario ${sub}: no scenario files given\n${SCENARIO_USAGE}`);
    return EXIT.USAGE;
  }
  const jobsText = v.jobs ?? '1';
  const jobs = Number(jobsText);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    process.stderr.write(`scenario: --jobs ${jobsText}: expected a whole number from 1 to 64\n`);
    return EXIT.USAGE;
  }

  const scenarios: Scenario[] = [];
  let bad = false;
  for (const f of files) {
    const loaded = loadScenario(f);
    if (loaded.ok) scenarios.push(loaded.scenario);
    else {
      bad = true;
      for (const p of loaded.problems) process.stderr.write(`${f}: ${p}\n`);
    }
  }
  if (bad) return EXIT.CONFIG;
  if (sub === 'check') {
    out.write(`${scenarios.length} scenario file${scenarios.length === 1 ? '' : 's'} valid\n`);
    return 0;
  }

  const tap = v.tap === true;
  const agentText = v.agent;
  const options = {
    keep: v.keep === true,
    ...(agentText ? { agentCommand: agentText.trim().split(/\s+/) } : {}),
    ...(v['work-dir'] ? { baseDir: v['work-dir'] } : {}),
  };
  const t0 = Date.now();
  if (!tap) out.write(`running ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}${jobs > 1 ? `, ${jobs} at a time` : ''}\n\n`);
  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const i = next++;
      results[i] = await runScenario(scenarios[i]!, options);
      if (!tap) out.write(textReport(results[i]) + '\n');
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, scenarios.length) }, worker));
  const wall = Date.now() - t0;
  if (tap) out.write(tapReport(results));
  else out.write(summaryLine(results, wall));
  const junit = v.junit;
  if (junit) {
    try {
      mkdirSync(dirname(junit), { recursive: true });
      writeFileSync(junit, junitReport(results, wall));
    } catch (err) {
      process.stderr.write(`scenario: cannot write ${junit}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  return results.every((r) => r.status === 'pass') ? 0 : 1;
}
