// Scenario results as a tester reads them (text with timings), as TAP for tap consumers, and
// as JUnit XML for CI (one testsuite per scenario, one testcase per step).

import { basename } from 'node:path';
import type { ScenarioResult } from './run.js';

const s3 = (ms: number) => (ms / 1000).toFixed(3);

export function textReport(r: ScenarioResult): string {
  const out: string[] = [];
  out.push(`${r.status === 'pass' ? 'PASS' : 'FAIL'}  ${r.name}  (${r.file}, ${s3(r.durationMs)} s)`);
  for (const st of r.steps) {
    const mark = st.status === 'pass' ? 'ok  ' : st.status === 'fail' ? 'FAIL' : 'skip';
    out.push(
      `  +${s3(st.atMs).padStart(8)} s ${s3(st.durationMs).padStart(7)} s  ${mark} ${String(st.number).padStart(2)}. ${st.label}${st.detail ? `  -> ${st.detail}` : ''}`,
    );
    if (st.message) out.push(`        ${st.message}`);
  }
  if (r.error) out.push(`  ERROR ${r.error.replace(/\n/g, '\n        ')}`);
  if (r.status !== 'pass') out.push(`  kept for inspection: ${r.runDir} (config.yaml, agent.log, state/events.db)`);
  return out.join('\n') + '\n';
}

export function summaryLine(results: ScenarioResult[], wallMs: number): string {
  const failed = results.filter((r) => r.status !== 'pass');
  return (
    `${results.length} scenario${results.length === 1 ? '' : 's'}: ${results.length - failed.length} passed, ${failed.length} failed in ${s3(wallMs)} s` +
    (failed.length ? `\nfailed: ${failed.map((r) => r.file).join(', ')}` : '') +
    '\n'
  );
}

const yamlString = (s: string) => JSON.stringify(s);

export function tapReport(results: ScenarioResult[]): string {
  const out: string[] = ['TAP version 14', `1..${results.length}`];
  results.forEach((r, i) => {
    out.push(`# Subtest: ${r.name}`);
    const points = r.steps.length + (r.error ? 1 : 0);
    out.push(`    1..${points}`);
    r.steps.forEach((st) => {
      const ok = st.status !== 'fail';
      out.push(
        `    ${ok ? 'ok' : 'not ok'} ${st.number} - ${st.label.replace(/#/g, '\\#')}${st.status === 'skip' ? ' # SKIP an earlier step failed' : ` # time=${st.durationMs}ms`}`,
      );
      if (!ok) out.push('      ---', `      message: ${yamlString(st.message ?? '')}`, `      at_s: ${s3(st.atMs)}`, '      ...');
    });
    if (r.error) out.push(`    not ok ${points} - scenario setup`, '      ---', `      message: ${yamlString(r.error)}`, '      ...');
    out.push(`${r.status === 'pass' ? 'ok' : 'not ok'} ${i + 1} - ${r.name.replace(/#/g, '\\#')} # time=${r.durationMs}ms`);
  });
  return out.join('\n') + '\n';
}

function xml(s: string): string {
  // XML 1.0 cannot carry most control characters, even escaped.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function junitReport(results: ScenarioResult[], wallMs: number): string {
  const tests = results.reduce((n, r) => n + r.steps.length + (r.error ? 1 : 0), 0);
  const failures = results.reduce((n, r) => n + r.steps.filter((s) => s.status === 'fail').length, 0);
  const errors = results.filter((r) => r.error).length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="hcalcs-agent scenarios" tests="${tests}" failures="${failures}" errors="${errors}" time="${s3(wallMs)}">`);
  for (const r of results) {
    const f = r.steps.filter((s) => s.status === 'fail').length;
    const sk = r.steps.filter((s) => s.status === 'skip').length;
    out.push(
      `  <testsuite name="${xml(r.name)}" file="${xml(r.file)}" tests="${r.steps.length + (r.error ? 1 : 0)}" failures="${f}" errors="${r.error ? 1 : 0}" skipped="${sk}" time="${s3(r.durationMs)}" timestamp="${r.startedAt.slice(0, 19)}">`,
    );
    if (r.covers.length) out.push(`    <properties><property name="covers" value="${xml(r.covers.join(', '))}"/></properties>`);
    const cls = xml(basename(r.file).replace(/\.ya?ml$/, ''));
    for (const st of r.steps) {
      const name = xml(`${String(st.number).padStart(2, '0')}. ${st.label}`);
      const open = `    <testcase classname="${cls}" name="${name}" time="${s3(st.durationMs)}"`;
      if (st.status === 'pass')
        out.push(`${open}>`, `      <system-out>${xml(`+${s3(st.atMs)} s${st.detail ? `: ${st.detail}` : ''}`)}</system-out>`, '    </testcase>');
      else if (st.status === 'skip') out.push(`${open}>`, '      <skipped message="an earlier step failed"/>', '    </testcase>');
      else out.push(`${open}>`, `      <failure message="${xml(st.message ?? '')}" type="assertion">${xml(st.message ?? '')}</failure>`, '    </testcase>');
    }
    if (r.error)
      out.push(
        `    <testcase classname="${cls}" name="scenario setup" time="0">`,
        `      <error message="${xml(r.error)}" type="setup">${xml(r.error)}</error>`,
        '    </testcase>',
      );
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
