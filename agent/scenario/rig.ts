// The rig one scenario runs on: the simulated meter and chargers, hosted by the runner so it
// can drive them and read them exactly, or a real charger read through the agent's own
// driver (a second Modbus client, read only). The agent under test is always a process of
// its own and talks to the rig only over the wire.

import { pino } from 'pino';
import type { ChargerConfig, SerialSettings } from '../../config/types.js';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { BusRegistry } from '../../drivers/charger/bus.js';
import { loadProfiles, resolveProfile } from '../../drivers/charger/profile.js';
import { createCharger, type ProfileCharger } from '../../drivers/charger/profile-driver.js';
import { ChargerSimulator, type SimulatedCharger } from '../../drivers/charger/simulator.js';
import { runMeterCommand } from '../sim/meter-commands.js';
import { runChargerCommand } from '../sim/charger-commands.js';
import type { Quantity, Scenario } from './types.js';

type Obj = Record<string, unknown>;

export class Rig {
  meter: MeterEmulator | null = null;
  hanPort: string | undefined;
  readonly chargerPorts: Record<string, number> = {};
  private readonly sims = new Map<string, { sim: ChargerSimulator; unit: SimulatedCharger }>();
  private readonly external = new Map<string, ProfileCharger>();
  private registry: BusRegistry | null = null;

  private constructor(private readonly scenario: Scenario) {}

  /** Starts the simulated parts (free ports on loopback). The meter's init commands run first. */
  static async start(scenario: Scenario): Promise<Rig> {
    const rig = new Rig(scenario);
    try {
      await rig.open();
    } catch (err) {
      await rig.close();
      throw err;
    }
    return rig;
  }

  private async open(): Promise<void> {
    const s = this.scenario;
    const profiles = loadProfiles();
    if (s.meter.mode === 'simulated') {
      const meter = new MeterEmulator({ heartbeatMs: s.meter.heartbeatMs, checksum: s.meter.checksum });
      this.meter = meter;
      for (const cmd of s.meter.init) runMeterCommand(meter, cmd);
      if (s.meter.port !== undefined) await meter.openSerial(s.meter.port, s.meter.serial);
      else this.hanPort = `tcp://127.0.0.1:${await meter.listenTcp('127.0.0.1', 0)}`;
    }
    for (const cc of (s.config.chargers ?? []) as Obj[]) {
      const id = String(cc.id);
      const r = s.chargers[id]!;
      if (r.mode === 'external') continue;
      const profile = resolveProfile(cc as unknown as ChargerConfig, profiles);
      const unitId = typeof cc.unitId === 'number' ? cc.unitId : profile.transport.defaultUnitId;
      const unit = {
        unitId,
        profile,
        carConnected: r.car.connected,
        carDrawFraction: r.car.drawFraction,
        phases: r.car.phases,
        carDelayMs: r.car.delayMs,
        ...(r.timeoutS !== undefined ? { timeoutS: r.timeoutS } : {}),
        ...(r.safeCurrentA !== undefined ? { safeCurrentA: r.safeCurrentA } : {}),
      };
      let sim: ChargerSimulator;
      if (r.rtu) {
        const serial: SerialSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, ...profile.transport.rtu, ...r.rtu.serial };
        sim = await ChargerSimulator.startRtu({ units: [unit], path: r.rtu.port, serial });
      } else {
        sim = await ChargerSimulator.start({ units: [unit] });
        this.chargerPorts[id] = sim.port;
      }
      const u = sim.unit(unitId);
      this.sims.set(id, { sim, unit: u });
      for (const cmd of r.init) runChargerCommand(u, cmd);
    }
  }

  /** Opens read-only observers for real chargers, once the agent's config is complete. */
  observeExternal(completedConfig: Obj): void {
    const logger = pino({ level: 'silent' });
    const profiles = loadProfiles();
    for (const cc of (completedConfig.chargers ?? []) as ChargerConfig[]) {
      if (this.scenario.chargers[cc.id]?.mode !== 'external') continue;
      this.registry ??= new BusRegistry(logger);
      const profile = resolveProfile(cc, profiles);
      this.external.set(cc.id, createCharger(cc, profile, this.registry.acquire(cc.transport), logger));
    }
  }

  unit(id: string): SimulatedCharger {
    const s = this.sims.get(id);
    if (!s) throw new Error(`charger ${id} is not simulated`);
    return s.unit;
  }

  /** The charger's value now (A), or null where it cannot tell (e.g. a lost setpoint). */
  async read(id: string, q: Quantity): Promise<number | null> {
    const s = this.sims.get(id);
    if (s) {
      if (q === 'setpoint') return s.unit.setpointA;
      if (q === 'applied') return s.unit.effectiveLimitA();
      return Math.round(s.unit.measuredA() * 100) / 100;
    }
    const ext = this.external.get(id);
    if (!ext) throw new Error(`no charger ${id} on the rig`);
    if (q === 'setpoint') return (await ext.readLimitA())?.valueA ?? null;
    const reading = await ext.read();
    if (q === 'applied') return reading.appliedLimitA ?? (await ext.readLimitA())?.valueA ?? null;
    return reading.currentsA && reading.currentsA.length ? Math.max(...reading.currentsA) : null;
  }

  async close(): Promise<void> {
    await this.meter?.close();
    for (const { sim } of this.sims.values()) await sim.close();
    await this.registry?.closeAll();
  }
}
