// For every shipped profile with a keep-alive, the period the driver derives is at most a
// third of the charger's timeout, whatever the timeout comes from.
import t from 'tap';
import pino from 'pino';
import { ModbusBus } from '../../../drivers/charger/bus.js';
import { createCharger } from '../../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import type { ChargerConfig } from '../../../config/types.js';

const logger = pino({ level: 'silent' });
// The period is derived before any I/O: a bus whose client never opens is enough.
const bus = new ModbusBus(
  { type: 'tcp', host: '127.0.0.1', port: 1 },
  async () => {
    throw new Error('no I/O in this test');
  },
  logger,
);

t.test('keepAlivePeriodMs <= timeout / 3 for every profile and timeout', async (t) => {
  for (const p of loadProfiles().values()) {
    for (const timeoutS of [10, 15, 30, 60, 300]) {
      const cfg: ChargerConfig = {
        id: p.id,
        profile: p.id,
        transport: { type: 'tcp', host: '127.0.0.1', port: 1 },
        minCurrentA: 6,
        maxCurrentA: 16,
        allowPause: false,
        timeoutMs: 500,
        failsafeTimeoutS: timeoutS,
      };
      const c = createCharger(cfg, p, bus, logger);
      const period = c.keepAlivePeriodMs;
      if (p.keepAlive.kind === 'none') {
        t.equal(period, null, `${p.id}: no keep-alive`);
        continue;
      }
      t.ok(period !== null && period <= (timeoutS * 1000) / 3, `${p.id} at ${timeoutS} s: ${period} ms`);
      if (p.keepAlive.maxPeriodMs !== undefined) t.ok(period! <= p.keepAlive.maxPeriodMs, `${p.id}: capped at ${p.keepAlive.maxPeriodMs} ms`);
    }
  }
  t.equal(
    createCharger(
      { id: 'x', profile: 'alfen-eve', transport: { type: 'tcp', host: 'h', port: 1 }, minCurrentA: 6, maxCurrentA: 16, allowPause: false, timeoutMs: 1 },
      loadProfiles().get('alfen-eve')!,
      bus,
      logger,
    ).keepAlivePeriodMs,
    15_000,
    'without a configured timeout: the profile default (Alfen 60 s) / 4',
  );
});
