// The echo server of the E10 and E100 benchmarks, in Node.js with its
// standard library only.
//
// Usage: node echo.mjs [--host 127.0.0.1] [--port 0]
//
// Writes back every chunk a connection delivers, as it comes, pausing the
// socket while its write buffer is over the high-water mark. Sockets are
// set to no delay, as Go, asyncio and uvloop set theirs. Once listening, it
// prints one line: the address, a space, and in a few words how it echoes.
// It serves until it is killed: bench/run starts it, points
// bench/cmd/echoclient at it and stops it by its process ID.

import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
  },
});

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => {
    if (!socket.write(chunk)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('error', () => socket.destroy()); // a reset peer: nothing to echo to
});

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address();
  console.log(`${address}:${port} net.createServer: 'data' -> socket.write`);
});
