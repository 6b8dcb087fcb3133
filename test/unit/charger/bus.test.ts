// The bus against a fake client: one request at a time, writes before polls, a silent
// device backs off without holding up the others, reconnect, one bus per line. Order is
// measured, never time.
import t from 'tap';
import pino from 'pino';
import { BusError, BusRegistry, ModbusBus, type ClientFactory, type ModbusClientLike } from '../../../drivers/charger/bus.js';
import type { TcpTransport } from '../../../config/types.js';
import { FakeClock } from './fake-clock.js';

const logger = pino({ level: 'silent' });
const endpoint: TcpTransport = { type: 'tcp', host: '127.0.0.1', port: 1502 };

class FakeClient implements ModbusClientLike {
  isOpen = true;
  unit = 0;
  inflight = 0;
  maxInflight = 0;
  readonly log: string[] = [];
  gate: Promise<void> | null = null;
  silentUnits = new Set<number>();
  dropNext = false;
  setID(id: number): void {
    this.unit = id;
  }
  setTimeout(): void {}
  private async op(what: string): Promise<void> {
    const unit = this.unit;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    this.log.push(`u${unit} ${what}`);
    try {
      if (this.gate) await this.gate;
      await new Promise((r) => setImmediate(r));
      if (this.dropNext) {
        this.dropNext = false;
        this.isOpen = false;
        throw Object.assign(new Error('Port Not Open'), { errno: 'ECONNRESET' });
      }
      if (this.silentUnits.has(unit)) throw Object.assign(new Error('Timed out'), { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' });
    } finally {
      this.inflight--;
    }
  }
  async readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }> {
    await this.op(`r${address}`);
    return { data: Array.from({ length }, (_, i) => address + i) };
  }
  async readInputRegisters(address: number, length: number): Promise<{ data: number[] }> {
    await this.op(`i${address}`);
    return { data: Array.from({ length }, () => 0) };
  }
  async writeRegister(address: number, value: number): Promise<unknown> {
    await this.op(`w${address}=${value}`);
    return {};
  }
  async writeRegisters(address: number, values: number[]): Promise<unknown> {
    await this.op(`w${address}=${values.join(',')}`);
    return {};
  }
  close(cb: () => void): void {
    this.isOpen = false;
    cb();
  }
}

function makeBus(clock = new FakeClock()) {
  const clients: FakeClient[] = [];
  let failConnects = 0;
  const factory: ClientFactory = async () => {
    if (failConnects > 0) {
      failConnects--;
      throw new Error('ECONNREFUSED');
    }
    const c = new FakeClient();
    clients.push(c);
    return c;
  };
  const bus = new ModbusBus(endpoint, factory, logger, clock, { initialMs: 1000, maxMs: 8000 });
  return { bus, clients, clock, failConnects: (n: number) => (failConnects = n) };
}

const dev = (unitId: number) => ({ unitId, timeoutMs: 100 });

t.test('one request at a time, even when called concurrently', async (t) => {
  const { bus, clients } = makeBus();
  const jobs = [];
  for (let i = 0; i < 20; i++) jobs.push(bus.read(dev(1 + (i % 3)), 'holding', i, 2));
  for (let i = 0; i < 5; i++) jobs.push(bus.write(dev(2), 6, 100 + i, [i]));
  const results = await Promise.all(jobs);
  t.equal(clients.length, 1, 'one client for the line');
  t.equal(clients[0]!.maxInflight, 1, 'never two in flight');
  t.equal(clients[0]!.log.length, 25);
  t.same(results[3], [3, 4], 'each caller gets its own answer');
  await bus.close();
});

t.test('writes go before queued polls', async (t) => {
  const { bus, clients } = makeBus();
  await bus.open();
  const c = clients[0]!;
  let release!: () => void;
  c.gate = new Promise((r) => (release = r));
  const all = [
    bus.read(dev(1), 'holding', 1, 1),
    bus.read(dev(1), 'holding', 2, 1),
    bus.read(dev(2), 'input', 3, 1),
    bus.write(dev(1), 6, 261, [60]),
    bus.read(dev(2), 'holding', 4, 1),
    bus.write(dev(2), 16, 1210, [0x4180, 0]),
  ];
  await new Promise((r) => setImmediate(r));
  c.gate = null;
  release();
  await Promise.all(all);
  t.same(c.log, ['u1 r1', 'u1 w261=60', 'u2 w1210=16768,0', 'u1 r2', 'u2 i3', 'u2 r4'], 'first read was already on the wire; then writes, then polls in order');
  await bus.close();
});

t.test('a silent device backs off and does not delay the others', async (t) => {
  const { bus, clients, clock } = makeBus();
  await bus.open();
  const c = clients[0]!;
  c.silentUnits.add(9);
  const outcomes: string[] = [];
  const track = (name: string, p: Promise<unknown>) =>
    p.then(
      () => outcomes.push(`${name} ok`),
      (e: BusError) => outcomes.push(`${name} ${e.code}`),
    );
  await Promise.all([
    track('u9 a', bus.read(dev(9), 'holding', 0, 1)),
    track('u1 a', bus.read(dev(1), 'holding', 0, 1)),
    track('u9 b', bus.read(dev(9), 'holding', 0, 1)),
    track('u1 b', bus.read(dev(1), 'holding', 1, 1)),
    track('u9 c', bus.write(dev(9), 6, 5, [1])),
    track('u1 c', bus.write(dev(1), 6, 5, [1])),
  ]);
  t.same(outcomes.sort(), ['u1 a ok', 'u1 b ok', 'u1 c ok', 'u9 a timeout', 'u9 b backoff', 'u9 c backoff'].sort());
  t.equal(c.log.filter((l) => l.startsWith('u9')).length, 1, 'the silent device cost one timeout, not three');
  t.ok(bus.backoffUntilMs(9) > clock.now());
  await clock.advance(1000, async () => undefined);
  c.silentUnits.delete(9);
  await bus.read(dev(9), 'holding', 0, 1);
  t.equal(bus.backoffUntilMs(9), 0, 'answered again: backoff cleared');
  await bus.close();
});

t.test('exception replies do not back a device off', async (t) => {
  const clock = new FakeClock();
  const factory: ClientFactory = async () => {
    const c = new FakeClient();
    c.readHoldingRegisters = async () => {
      throw Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 });
    };
    return c;
  };
  const bus = new ModbusBus(endpoint, factory, logger, clock);
  const err = await bus.read(dev(1), 'holding', 0, 1).catch((e: BusError) => e);
  t.equal((err as BusError).code, 'exception');
  t.equal((err as BusError).modbusCode, 2);
  t.equal(bus.backoffUntilMs(1), 0);
  await bus.close();
});

t.test('reads longer than the device allows are split', async (t) => {
  const { bus, clients } = makeBus();
  const regs = await bus.read({ unitId: 255, timeoutMs: 100, maxRegistersPerRead: 2 }, 'holding', 1000, 5);
  t.same(regs, [1000, 1001, 1002, 1003, 1004]);
  t.same(clients[0]!.log, ['u255 r1000', 'u255 r1002', 'u255 r1004']);
  await bus.close();
});

t.test('connection loss: the next request reconnects; failed connects back off', async (t) => {
  const { bus, clients, clock, failConnects } = makeBus();
  await bus.open();
  clients[0]!.dropNext = true;
  const e1 = await bus.read(dev(1), 'holding', 0, 1).catch((e: BusError) => e);
  t.equal((e1 as BusError).code, 'disconnected');
  await bus.read(dev(1), 'holding', 0, 1);
  t.equal(clients.length, 2, 'a new client after the loss');
  clients[1]!.dropNext = true;
  await bus.read(dev(1), 'holding', 0, 1).catch(() => undefined);
  failConnects(1);
  const e2 = await bus.read(dev(1), 'holding', 0, 1).catch((e: BusError) => e);
  t.match((e2 as BusError).message, /cannot connect/);
  const e3 = await bus.read(dev(1), 'holding', 0, 1).catch((e: BusError) => e);
  t.match((e3 as BusError).message, /next attempt in 1000 ms/, 'no connect storm');
  await clock.advance(1000, async () => undefined);
  await bus.read(dev(1), 'holding', 0, 1);
  t.equal(clients.length, 3);
  await bus.close();
  const e4 = await bus.read(dev(1), 'holding', 0, 1).catch((e: BusError) => e);
  t.equal((e4 as BusError).code, 'closed');
});

t.test('registry: one bus per line, same serial settings, last user closes', async (t) => {
  const reg = new BusRegistry(logger, { clientFactory: async () => new FakeClient() });
  const serial = { baudRate: 19200, dataBits: 8 as const, parity: 'even' as const, stopBits: 1 as const };
  const a = reg.acquire({ type: 'rtu', path: '/dev/ttyUSB0', serial });
  const b = reg.acquire({ type: 'rtu', path: '/dev/ttyUSB0', serial });
  const c = reg.acquire(endpoint);
  t.equal(a, b, 'two chargers on one RS-485 line share a bus');
  t.not(a, c);
  t.equal(reg.size, 2);
  t.throws(() => reg.acquire({ type: 'rtu', path: '/dev/ttyUSB0', serial: { ...serial, parity: 'none' } }), /same settings/);
  await reg.release(a);
  t.equal(reg.size, 2, 'still used by b');
  await reg.release(b);
  t.equal(reg.size, 1);
  await reg.closeAll();
  t.equal(reg.size, 0);
});
