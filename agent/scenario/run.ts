// Runs one scenario: the rig, the agent as its own process from a clean state, then the
// steps in order. An action that cannot be done or an expectation that does not hold fails
// its step with what was expected, what was observed and when; the steps after it are
// skipped. Every time in the results is from the scenario's start.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMeterCommand } from '../sim/meter-commands.js';
import { runChargerCommand } from '../sim/charger-commands.js';
import { AgentProcess, defaultAgentCommand } from './agent-process.js';
import { completeConfig, renderConfig } from './agent-config.js';
import { describeMatch } from './load.js';
import { EventReader, matches, show, valueAtPath } from './observe.js';
import { Rig } from './rig.js';
import type { Action, Expectation, Scenario, Step } from './types.js';

export interface StepResult {
  number: number;
  label: string;
  status: 'pass' | 'fail' | 'skip';
  /** From the scenario's start. */
  atMs: number;
  durationMs: number;
  /** How it went, e.g. "reached after 0.214 s". */
  detail?: string | undefined;
  /** Why it failed: the step, the expected and the observed value, and the time. */
  message?: string;
}

export interface ScenarioResult {
  file: string;
  name: string;
  covers: string[];
  status: 'pass' | 'fail';
  startedAt: string;
  durationMs: number;
  steps: StepResult[];
  /** A failure outside the steps (the rig or the agent could not start, the scenario timed out). */
  error?: string;
  /** The run's directory (config, agent log, event log); kept when the scenario failed. */
  runDir: string;
}

export interface RunOptions {
  agentCommand?: string[];
  /** Keep the run directory of a passing scenario too. */
  keep?: boolean;
  /** Where run directories go; default the system temp dir. */
  baseDir?: string;
}

class StepFailure extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const unit = (q: string) => (q === 'setpoint' || q === 'applied' || q === 'measured' ? ' A' : '');

export async function runScenario(s: Scenario, o: RunOptions = {}): Promise<ScenarioResult> {
  const t0 = Date.now();
  const rel = (ms = Date.now()) => ms - t0;
  const at = (ms = Date.now()) => `+${(rel(ms) / 1000).toFixed(3)} s`;
  const base = o.baseDir ?? tmpdir();
  mkdirSync(base, { recursive: true });
  const runDir = mkdtempSync(join(base, 'hcalcs-scenario-'));
  const stateDir = s.agent.stateDir ?? join(runDir, 'state');
  mkdirSync(stateDir, { recursive: true });
  const eventLogPath = join(stateDir, 'events.db');
  const result: ScenarioResult = {
    file: s.file,
    name: s.name,
    covers: s.covers,
    status: 'pass',
    startedAt: new Date(t0).toISOString(),
    durationMs: 0,
    steps: [],
    runDir,
  };
  const deadline = t0 + s.timeoutMs;

  let rig: Rig | null = null;
  let agent: AgentProcess | null = null;
  const events = new EventReader(eventLogPath);
  let expectedExits = 0;
  let eventCursor = 0;
  let meterCursor = 0;

  const agentDiedUnasked = (): string | null => {
    if (!agent || agent.exits.length <= expectedExits) return null;
    const e = agent.exits[expectedExits]!;
    expectedExits = agent.exits.length;
    return `the agent exited unasked at ${at(e.atMs)} (${e.signal ?? `code ${e.code}`}); see ${join(runDir, 'agent.log')}`;
  };

  const doAction = async (a: Exclude<Action, { kind: 'expect' }>): Promise<string | undefined> => {
    switch (a.kind) {
      case 'meter':
        return a.commands.map((c) => runMeterCommand(rig!.meter!, c).text).join('; ');
      case 'link':
        return runMeterCommand(rig!.meter!, a.command).text;
      case 'charger':
        return a.commands.map((c) => runChargerCommand(rig!.unit(c.id), c.command).text).join('; ');
      case 'wait':
        await sleep(a.ms);
        return undefined;
      case 'owner': {
        const r = await agent!.cli(a.args);
        if (r.code !== 0) throw new StepFailure(`hcalcs-agent ${a.args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
        return r.stdout.trim().split('\n').at(-1);
      }
      case 'agent': {
        const ag = agent!;
        if (a.op === 'stop' || a.op === 'restart') {
          if (ag.running) expectedExits++;
          await ag.stop();
        }
        if (a.op === 'kill' || a.op === 'kill-restart') {
          if (!ag.running) throw new StepFailure('the agent is not running: nothing to kill');
          expectedExits++;
          const pid = ag.pid;
          await ag.kill();
          if (a.op === 'kill') return `pid ${pid} killed (SIGKILL)`;
        }
        if (a.op === 'start' || a.op === 'restart' || a.op === 'kill-restart') {
          const started = Date.now();
          await ag.start();
          return `running, pid ${ag.pid}, ready after ${secs(Date.now() - started)}`;
        }
        return 'stopped (SIGTERM)';
      }
    }
  };

  const check = async (e: Expectation, step: Step): Promise<string> => {
    const begin = Date.now();
    const end = e.mode === 'now' ? begin : Math.min(begin + e.ms, deadline);
    const fail = (msg: string) => new StepFailure(`step ${step.number} (${step.label}): ${msg}`);
    if (e.kind === 'charger') {
      const seen: Array<{ v: number | null; atMs: number }> = [];
      for (;;) {
        const now = Date.now();
        let v: number | null;
        try {
          v = await rig!.read(e.charger, e.quantity);
        } catch (err) {
          throw fail(`could not read ${e.charger}'s ${e.quantity} at ${at(now)}: ${(err as Error).message}`);
        }
        if (seen.at(-1)?.v !== v) seen.push({ v, atMs: now });
        const ok = matches(e.match, v);
        const history = () => seen.map((x) => `${show(x.v)}${unit(e.quantity)} from ${at(x.atMs)}`).join(', ');
        if (e.mode === 'hold' && !ok) {
          throw fail(
            `expected ${e.charger} ${e.quantity} ${describeMatch(e.match)}${unit(e.quantity)} for ${secs(e.ms)}; observed ${show(v)}${unit(e.quantity)} at ${at(now)}, ${secs(now - begin)} into the period (values: ${history()})`,
          );
        }
        if (e.mode !== 'hold' && ok) return e.mode === 'now' ? `${show(v)}${unit(e.quantity)}` : `${show(v)}${unit(e.quantity)} after ${secs(now - begin)}`;
        if (now >= end) {
          if (e.mode === 'hold') return `${describeMatch(e.match)}${unit(e.quantity)} throughout (values: ${history()})`;
          throw fail(
            `expected ${e.charger} ${e.quantity} ${describeMatch(e.match)}${unit(e.quantity)}${e.mode === 'reach' ? ` within ${secs(e.ms)}` : ''}; observed ${show(v)}${unit(e.quantity)} at ${at(now)} (values: ${history()})`,
          );
        }
        await sleep(50);
      }
    }
    if (e.kind === 'event') {
      const from = e.since === 'start' ? 0 : eventCursor;
      const wanted = (r: { chargerId: string | null; switchIdx: number | null; data: Record<string, unknown> }) =>
        (e.charger === undefined || r.chargerId === e.charger) &&
        (e.switchIdx === undefined || r.switchIdx === e.switchIdx) &&
        Object.entries(e.data).every(([k, m]) => {
          const got = valueAtPath(r.data, k);
          return got.found && matches(m, got.value);
        });
      for (;;) {
        const now = Date.now();
        const rows = events.since(e.event, from);
        const hit = rows.find(wanted);
        if (e.negate && hit)
          throw fail(`expected no ${e.event} event; one was logged at ${at(hit.atMs)} (row ${hit.id}: ${JSON.stringify(hit.data).slice(0, 300)})`);
        if (!e.negate && hit) return `logged at ${at(hit.atMs)} (row ${hit.id})`;
        if (now >= end) {
          if (e.negate) return `none in ${secs(now - begin)}`;
          const near = rows.length ? `; ${rows.length} ${e.event} event(s) did not match: ${JSON.stringify(rows.at(-1)!.data).slice(0, 300)}` : '';
          throw fail(`expected an event ${e.event}${e.mode === 'reach' ? ` within ${secs(e.ms)}` : ''}; none by ${at(now)}${near}`);
        }
        await sleep(100);
      }
    }
    if (e.kind === 'status') {
      for (;;) {
        const now = Date.now();
        const r = await agent!.cli(['status', '--json']);
        let json: unknown = undefined;
        try {
          json = JSON.parse(r.stdout);
        } catch {
          json = undefined;
        }
        const bad: string[] = [];
        for (const [path, m] of Object.entries(e.fields)) {
          const got = json === undefined ? { found: false, value: undefined } : valueAtPath(json, path);
          if (!matches(m, got.value)) bad.push(`${path}: expected ${describeMatch(m)}, observed ${got.found ? show(got.value) : '(absent)'}`);
        }
        if (json === undefined) bad.push(`status --json gave no JSON (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
        if (e.mode === 'hold' && bad.length) throw fail(`${bad.join('; ')} at ${at(now)}, ${secs(now - begin)} into ${secs(e.ms)}`);
        if (e.mode !== 'hold' && !bad.length) return e.mode === 'now' ? 'as expected' : `after ${secs(Date.now() - begin)}`;
        if (Date.now() >= end) {
          if (e.mode === 'hold') return 'held throughout';
          throw fail(`${bad.join('; ')} (status read at ${at(now)}${e.mode === 'reach' ? `, waited ${secs(e.ms)}` : ''})`);
        }
        await sleep(200);
      }
    }
    const re = new RegExp(e.pattern);
    for (;;) {
      const now = Date.now();
      const lines = rig!.meter?.received.slice(e.since === 'start' ? 0 : meterCursor) ?? [];
      const hit = lines.find((l) => re.test(l.raw));
      if (hit) return `"${hit.raw}"`;
      if (now >= end)
        throw fail(
          `expected the agent to send a line matching /${e.pattern}/; it sent ${
            lines.length
              ? lines
                  .map((l) => `"${l.raw}"`)
                  .slice(-5)
                  .join(', ')
              : 'nothing'
          } by ${at(now)}`,
        );
      await sleep(50);
    }
  };

  let skipRest = false;
  try {
    try {
      rig = await Rig.start(s);
    } catch (err) {
      throw new Error(`the rig could not start: ${(err as Error).message}`);
    }
    const addresses = { ...(rig.hanPort !== undefined ? { hanPort: rig.hanPort } : {}), chargerPorts: rig.chargerPorts, eventLogPath };
    const rendered = renderConfig(s, addresses);
    if (rendered.problems.length) throw new Error(`the agent's config is not valid:\n  ${rendered.problems.join('\n  ')}`);
    const configPath = join(runDir, 'config.yaml');
    writeFileSync(configPath, rendered.yaml);
    rig.observeExternal(completeConfig(s, addresses));
    agent = new AgentProcess(o.agentCommand ?? defaultAgentCommand(), configPath, join(runDir, 'agent.log'), s.agent.dryRun);
    if (s.agent.start) {
      try {
        await agent.start();
      } catch (err) {
        throw new Error(`${(err as Error).message} (log: ${join(runDir, 'agent.log')})`);
      }
    }
    for (const step of s.steps) {
      const started = Date.now();
      const r: StepResult = { number: step.number, label: step.label, status: 'pass', atMs: rel(started), durationMs: 0 };
      result.steps.push(r);
      if (skipRest) {
        r.status = 'skip';
        continue;
      }
      try {
        if (Date.now() >= deadline)
          throw new StepFailure(`step ${step.number} (${step.label}): the scenario's timeout of ${secs(s.timeoutMs)} ran out at ${at()}`);
        if (step.action.kind === 'expect') {
          r.detail = await check(step.action.expect, step);
        } else {
          eventCursor = events.lastId();
          meterCursor = rig.meter?.received.length ?? 0;
          r.detail = await doAction(step.action);
        }
        const died = agentDiedUnasked();
        if (died) throw new StepFailure(`step ${step.number} (${step.label}): ${died}`);
      } catch (err) {
        r.status = 'fail';
        const msg = (err as Error).message;
        r.message = err instanceof StepFailure ? msg : `step ${step.number} (${step.label}) at ${at()}: ${msg}`;
        result.status = 'fail';
        skipRest = true;
      }
      r.durationMs = Date.now() - started;
    }
  } catch (err) {
    result.status = 'fail';
    result.error = (err as Error).message;
  } finally {
    events.close();
    await agent?.close();
    await rig?.close();
    result.durationMs = Date.now() - t0;
    if (result.status === 'pass' && !o.keep) rmSync(runDir, { recursive: true, force: true });
  }
  return result;
}
