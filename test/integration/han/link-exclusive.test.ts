// The HAN device is the agent's alone while it holds it: another opener using the lock (a
// second agent, a serialport-based tool) is refused, and the agent waits out one that holds
// it first, then takes the port. Over a real pty (socat).
import t from 'tap';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { HanLink } from '../../../drivers/han/link.js';
import { needs, openPtyPair } from '../../helpers/peers.js';

const logger = pino({ level: 'silent' });
const serial = { baudRate: 115200, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };

function open(port: SerialPort): Promise<Error | null> {
  return new Promise((resolve) => port.open((err) => resolve(err ?? null)));
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('while the link holds the device, a second locking opener is refused', needs('socat'), async (t) => {
  const pair = await openPtyPair();
  const link = new HanLink({ port: pair.a, serial, requireChecksum: false, sendChecksum: false, reconnect: { initialMs: 20, maxMs: 100 }, logger });
  let up = false;
  link.on('up', () => (up = true));
  t.teardown(async () => {
    await link.close();
    await pair.close();
  });
  link.start();
  await until(() => up, 'the link up');
  const intruder = new SerialPort({ path: pair.a, ...serial, autoOpen: false, lock: true });
  const err = await open(intruder);
  t.match(err?.message, /Cannot lock port/, 'refused');
  t.notOk(intruder.isOpen);
});

t.test('a device held by another locking opener is taken once it lets go', needs('socat'), async (t) => {
  const pair = await openPtyPair();
  const holder = new SerialPort({ path: pair.a, ...serial, autoOpen: false, lock: true });
  t.equal(await open(holder), null, 'the other holds the device');
  const link = new HanLink({ port: pair.a, serial, requireChecksum: false, sendChecksum: false, reconnect: { initialMs: 20, maxMs: 100 }, logger });
  let up = false;
  link.on('up', () => (up = true));
  t.teardown(async () => {
    await link.close();
    if (holder.isOpen) await new Promise((r) => holder.close(r));
    await pair.close();
  });
  link.start();
  await until(() => link.stats().connectFailures >= 2, 'failed attempts while held');
  t.notOk(up, 'no link while another holds the device');
  await new Promise((r) => holder.close(r));
  await until(() => up, 'the link up after the holder let go');
  t.pass('the link took the device');
});
