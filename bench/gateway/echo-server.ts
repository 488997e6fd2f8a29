/**
 * The ceiling peer of the receive bench: a bare MLLP server on node:net that finds each frame's end block and answers
 * with a fixed ACK of the size Vigil's are. No parsing, no database: what remains is loopback TCP, framing and the
 * client itself on this machine's cores. Forked by bench/gateway/run.ts (bench/target-process.ts protocol:
 * `listening` once up, `stop` → `stopped`).
 */
import net from 'node:net';

const ACK = Buffer.from(
  '\x0bMSH|^~\\&|VIGIL|VIGIL|SIMADT|SIMHOSP|20240101000000||ACK^A01^ACK|0193a1b2c3d4e5f60718|P|2.5.1\rMSA|AA|A000Z0001\r\x1c\r',
  'latin1',
);
const END = Buffer.from([0x1c, 0x0d]);
const began = performance.now();
const sockets = new Set<net.Socket>();

const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (let end = pending.indexOf(END); end >= 0; end = pending.indexOf(END)) {
      pending = pending.subarray(end + END.length);
      socket.write(ACK);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'listening', url: `mllp://127.0.0.1:${port}`, port, startMs: performance.now() - began });
});

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'stop') return;
  for (const s of sockets) s.destroy();
  server.close(() => {
    process.send?.({ type: 'stopped', drained: true });
    process.disconnect?.();
  });
});
// The bench process died without stopping us: nothing would ever end this process otherwise.
process.on('disconnect', () => process.exit(0));
