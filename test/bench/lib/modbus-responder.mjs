// A minimal Modbus TCP responder for the benches: modbus-serial's ServerTCP defers every
// request with setTimeout(0) (at least 1 ms in Node), which a latency bench would count as
// the agent's time. Frames are stamped the moment their bytes arrive; onWrite sees every
// FC 6/16 write with that stamp.
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * @param {{ port?: number, onWrite?: (w: { fc: number, addr: number, values: number[], atMs: number }) => void }} o
 * @returns {Promise<{ port: number, holding: Map<number, number>, close: () => Promise<void> }>}
 */
export async function startModbusResponder(o = {}) {
  const holding = new Map();
  const sockets = new Set();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      const at = performance.now();
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const len = 6 + buf.readUInt16BE(4);
        const frame = buf.subarray(0, len);
        buf = buf.subarray(len);
        const fc = frame[7];
        const addr = frame.readUInt16BE(8);
        let pdu;
        if (fc === 3 || fc === 4) {
          const n = frame.readUInt16BE(10);
          pdu = Buffer.alloc(2 + 2 * n);
          pdu[0] = fc;
          pdu[1] = 2 * n;
          for (let i = 0; i < n; i++) pdu.writeUInt16BE(fc === 3 ? (holding.get(addr + i) ?? 0) : 0, 2 + 2 * i);
        } else if (fc === 6 || fc === 16) {
          const values = [];
          if (fc === 6) values.push(frame.readUInt16BE(10));
          else for (let i = 0; i < frame.readUInt16BE(10); i++) values.push(frame.readUInt16BE(13 + 2 * i));
          values.forEach((v, i) => holding.set(addr + i, v));
          pdu = Buffer.from(frame.subarray(7, 12));
          o.onWrite?.({ fc, addr, values, atMs: at });
        } else {
          pdu = Buffer.from([fc | 0x80, 1]);
        }
        const head = Buffer.from(frame.subarray(0, 7));
        head.writeUInt16BE(pdu.length + 1, 4);
        sock.write(Buffer.concat([head, pdu]));
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    holding,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
