// The line settings of a serial port, as the HAN link, the Modbus RTU bus and the simulators
// open it. The drivers' own type: the composition root (agent/compose.ts) hands the config's
// settings over, and a config change that no longer fits fails to compile there.

export type Parity = 'none' | 'even' | 'odd';

export interface SerialSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: Parity;
  stopBits: 1 | 2;
}
