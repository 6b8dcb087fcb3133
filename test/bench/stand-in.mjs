// The minimal stand-in agent the latency bench measures beside the real one: it reads the HAN
// line from the pty and writes the Alfen setpoint over Modbus TCP, nothing else (no config,
// no core, no state, no event log, no logging, no verification). It uses the agent's own
// transport libraries (serialport with its readline parser, modbus-serial's client), so the
// ratio agent/stand-in is the agent's own work on the path, not a difference of libraries.
//   node test/bench/stand-in.mjs PTY MODBUS_PORT
// Switch 2 open -> 6 A, closed -> 32 A (float32 at register 1210, unit 1), as the bench's
// config binds it; every other line is read and dropped.
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import ModbusRTU from 'modbus-serial';

const [ptyPath, modbusPort] = process.argv.slice(2);
const client = new ModbusRTU();
await client.connectTCP('127.0.0.1', { port: Number(modbusPort) });
client.setID(1);
client.setTimeout(1000);

const words = (amps) => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(amps);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
};
const port = new SerialPort({ path: ptyPath, baudRate: 115200 });
port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' })).on('data', (line) => {
  const m = /^SWITCH idx=2 state=(open|closed)\b/.exec(line);
  if (m) client.writeRegisters(1210, words(m[1] === 'open' ? 6 : 32)).catch(() => undefined);
});
process.on('SIGTERM', () => {
  port.close();
  client.close(() => process.exit(0));
});
