// The whole control path with real parts on both sides: a HAN line typed into a real pty
// (socat) reaches the agent's serial link, the core decides, and the charger's setpoint
// register changes at an independent Modbus server (python3-pymodbus), over TCP (Alfen Eve)
// and over RTU on a second pty (Heidelberg Energy Control, 19200 8E1 on the agent's side).
import t, { type Test } from 'tap';
import { closeSync, constants, mkdtempSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildAgent, loadAgentConfig, type Agent } from '../../agent/compose.js';
import { openEventLog } from '../../agent/event-log/store.js';
import { needs, openPtyPair, type PtyPair } from '../helpers/peers.js';
import { startPymodbusPeer, startPymodbusRtuPeer, type Peer, type PeerWrite } from '../helpers/pymodbus-peer.js';

/** float32 big-endian as two registers, computed by Node's own encoder, not ours. */
function float32Regs(a: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(a);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

/** The meter's side of the HAN pty: the test types lines and reads what the agent sends. */
class MeterEnd {
  private readonly fd: number;
  constructor(path: string) {
    // Non-blocking: the agent runs in this process, so a blocking read would stall it.
    this.fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
  }
  type(line: string): void {
    writeSync(this.fd, line + '\n');
  }
  /** Reads until `want` has been seen or the time is up. */
  async readUntil(want: RegExp, timeoutMs: number): Promise<string> {
    let got = '';
    const end = Date.now() + timeoutMs;
    while (!want.test(got) && Date.now() < end) {
      const buf = Buffer.alloc(512);
      let n = 0;
      try {
        n = readSync(this.fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (n > 0) got += buf.subarray(0, n).toString('latin1');
      else await new Promise((r) => setTimeout(r, 20));
    }
    return got;
  }
  close(): void {
    closeSync(this.fd);
  }
}

function writeConfig(dir: string, han: string, charger: string): string {
  const path = join(dir, 'config.yaml');
  const yaml = `version: 1
han:
  port: ${han}
  reconnect: { initialMs: 100, maxMs: 1000 }
chargers:
${charger}
bindings:
  - switch: 2
    chargers: [garage]
    reducedCurrentA: 6
rules:
  restore: { maxDelayS: 0 }
eventLog:
  path: ${join(dir, 'events.db')}
log:
  level: warn
`;
  writeFileSync(path, yaml);
  return path;
}

async function startAgent(t: Test, configPath: string): Promise<Agent> {
  const loaded = loadAgentConfig(configPath);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const agent = buildAgent(loaded.config, { logger: pino({ level: 'silent' }), dryRun: false, seed: 7 });
  agent.runtime.start();
  t.teardown(() => agent.stop('test over'));
  return agent;
}

const at = (address: number) => (w: PeerWrite) => w.address === address;

async function story(t: Test, o: { han: PtyPair; peer: Peer; configPath: string; register: number; encode: (a: number) => number[] }) {
  await startAgent(t, o.configPath);
  const meter = new MeterEnd(o.han.b);
  t.teardown(() => meter.close());

  const asked = await meter.readUntil(/READ what=switches/, 5000);
  t.match(asked, /READ what=switches/, 'the agent asks for the full state on connect');

  meter.type('SWITCH idx=2 state=closed cause=calendar');
  const full = await o.peer.waitForWrite((w) => at(o.register)(w) && w.values[0] === o.encode(32)[0], 5000);
  t.same(full.values, o.encode(32), 'switch closed: the charger maximum is written');

  const before = o.peer.writes().length;
  const typedAt = Date.now();
  meter.type('SWITCH idx=2 state=open cause=dno dur=30');
  const reduced = await o.peer.waitForWrite((w) => at(o.register)(w) && w.values[0] === o.encode(6)[0], 1000, before);
  t.same(reduced.values, o.encode(6), 'switch open: the reduced current lands in the setpoint register');
  t.comment(`line typed -> register written at the peer: ${(reduced.t - typedAt).toFixed(1)} ms`);

  const afterReduce = o.peer.writes().length;
  meter.type('SWITCH idx=2 state=closed cause=dno*00');
  meter.type('HB seq=9');
  await new Promise((r) => setTimeout(r, 400));
  const setpointWrites = o.peer.writes().slice(afterReduce).filter(at(o.register));
  t.ok(
    setpointWrites.every((w) => w.values[0] === o.encode(6)[0]),
    'the line with a wrong checksum changed nothing at the charger',
  );
}

function rejectedRows(dbPath: string) {
  const log = openEventLog(dbPath, { readonly: true });
  try {
    return log.query({ kind: 'han.rejected' });
  } finally {
    log.close();
  }
}

t.test('SWITCH on a pty -> Alfen Eve setpoint at pymodbus over TCP', needs('socat', 'pymodbus'), async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-e2e-'));
  const han = await openPtyPair();
  t.teardown(() => han.close());
  const peer = await startPymodbusPeer({ units: { 1: { holding: { 1212: float32Regs(6) } } } });
  t.teardown(() => peer.stop());
  const configPath = writeConfig(
    dir,
    han.a,
    `  - id: garage
    profile: alfen-eve
    transport: { type: tcp, host: 127.0.0.1, port: ${peer.port} }
    unitId: 1
    maxCurrentA: 32`,
  );
  await story(t, { han, peer, configPath, register: 1210, encode: float32Regs });
  t.same(await peer.readRegisters(1, 'holding', 1210, 2), float32Regs(6), 'the peer holds 6.0 A');
  const rows = rejectedRows(join(dir, 'events.db'));
  t.equal(rows.length, 1, 'one rejected line in the event log');
  t.match(rows[0]?.data, { reason: 'bad_checksum', line: 'SWITCH idx=2 state=closed cause=dno*00' });
});

t.test('SWITCH on a pty -> Heidelberg setpoint at pymodbus over RTU on a second pty', needs('socat', 'pymodbus'), async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-e2e-'));
  const han = await openPtyPair();
  t.teardown(() => han.close());
  const peer = await startPymodbusRtuPeer({ units: { 1: {} }, baudRate: 19200 });
  t.teardown(() => peer.stop());
  const configPath = writeConfig(
    dir,
    han.a,
    `  - id: garage
    profile: heidelberg-energy-control
    transport: { type: rtu, path: ${peer.path}, serial: { baudRate: 19200, parity: even } }
    unitId: 1
    maxCurrentA: 16`,
  );
  // Heidelberg: uint16 in 0.1 A at holding 261; its maximum is 16 A, so "full" is 16 A here.
  const tenths = (a: number) => [Math.round(Math.min(a, 16) * 10)];
  await story(t, { han, peer, configPath, register: 261, encode: tenths });
  t.same(await peer.readRegisters(1, 'holding', 261, 1), [60], 'the peer holds 60 (6.0 A)');
  const failsafe = peer.writes().find((w) => w.address === 262);
  t.same(failsafe?.values, [60], 'the failsafe current written at connect is the reduced current');
  t.match(rejectedRows(join(dir, 'events.db'))[0]?.data, { reason: 'bad_checksum' });
});
