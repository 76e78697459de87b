// The Node `ws` load client for the PushCompare bench (`echo --client node`): C connections each echo an S-byte text
// message in closed loop (send, wait for the reply, repeat), the same client for every server measured.
// Usage: node client.js <ws-url> <origin> <clients> <size> <warmup-seconds> <duration-seconds>
// Protocol on stdout, one line each, for the bench to sample the server at the window's edges:
//   connected <n>            every connection is open (or failed: the bench reads the errors in the result)
//   window-start             warm-up over; latencies from now on count
//   window-end <json>        counts, bytes and the latency histogram of the window (µs value -> count)
//   done <json>              after every connection closed: totals, errors
const WebSocket = require('ws');

const [url, origin, clientsArg, sizeArg, warmupArg, durationArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const size = Number(sizeArg);
const warmupMs = Number(warmupArg) * 1000;
const durationMs = Number(durationArg) * 1000;
if (!url || !(clients > 0) || !(size >= 8) || !(warmupMs >= 0) || !(durationMs > 0)) {
  console.error('usage: node client.js <ws-url> <origin> <clients> <size>=8.. <warmup-seconds> <duration-seconds>');
  process.exit(2);
}

let measuring = false;
let stopping = false;
const histogram = new Map(); // latency in whole µs -> count, window only
let windowReceived = 0;
let totalSent = 0;
let totalReceived = 0;
const errors = [];

// The message carries the connection's sequence number, padded to the size, so a reply that is not this
// connection's last message is caught (an echo server must answer with the exact message).
function message(seq) {
  const head = `${seq}:`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

function bytes() {
  let up = 0;
  let down = 0;
  for (const c of connections) {
    if (c.socket._socket) {
      up += c.socket._socket.bytesWritten;
      down += c.socket._socket.bytesRead;
    } else {
      up += c.finalUp;
      down += c.finalDown;
    }
  }
  return { up, down };
}

const connections = [];
function open(index) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { origin, perMessageDeflate: false });
    const c = { socket, seq: 0, sentAt: 0n, expected: '', finalUp: 0, finalDown: 0, closed: null };
    c.closed = new Promise((done) => socket.on('close', () => {
      if (socket._socket) { c.finalUp = socket._socket.bytesWritten; c.finalDown = socket._socket.bytesRead; }
      done();
    }));
    socket.on('error', (e) => { errors.push(`client ${index}: ${e.message}`); resolve(false); });
    socket.on('open', () => {
      // Record the socket's byte counts before the net.Socket is released at close.
      socket._socket.on('close', () => { c.finalUp = socket._socket.bytesWritten; c.finalDown = socket._socket.bytesRead; });
      connections.push(c);
      resolve(true);
    });
    socket.on('message', (data) => {
      const now = process.hrtime.bigint();
      const text = data.toString();
      if (text !== c.expected) errors.push(`client ${index}: reply ${JSON.stringify(text.slice(0, 20))} is not the message sent`);
      totalReceived++;
      if (measuring) {
        const micros = Number((now - c.sentAt) / 1000n);
        histogram.set(micros, (histogram.get(micros) ?? 0) + 1);
        windowReceived++;
      }
      if (stopping) { socket.close(1000); return; }
      send(c);
    });
  });
}

function send(c) {
  c.seq++;
  c.expected = message(c.seq);
  c.sentAt = process.hrtime.bigint();
  totalSent++;
  c.socket.send(c.expected);
}

async function main() {
  // Connect 64 at a time, as the .NET client does, so the server's accept backlog does not overflow.
  for (let i = 0; i < clients; i += 64) {
    await Promise.all(Array.from({ length: Math.min(64, clients - i) }, (_, k) => open(i + k)));
  }
  console.log(`connected ${connections.length}`);
  if (connections.length === 0) { finish(); return; }
  const cpu0 = process.cpuUsage();
  for (const c of connections) send(c);
  await new Promise((r) => setTimeout(r, warmupMs));

  const startBytes = bytes();
  const startCpu = process.cpuUsage(cpu0);
  const startSent = totalSent;
  const started = process.hrtime.bigint();
  measuring = true;
  console.log('window-start');
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const endBytes = bytes();
  const endCpu = process.cpuUsage(cpu0);
  console.log(`window-end ${JSON.stringify({
    seconds,
    received: windowReceived,
    sent: totalSent - startSent,
    bytesUp: endBytes.up - startBytes.up,
    bytesDown: endBytes.down - startBytes.down,
    cpuSeconds: (endCpu.user + endCpu.system - startCpu.user - startCpu.system) / 1e6,
    histogram: [...histogram.entries()],
  })}`);

  // Stop: each connection closes after its reply in flight arrives (bounded by a timeout).
  stopping = true;
  const timeout = setTimeout(() => { for (const c of connections) c.socket.terminate(); }, 10000);
  await Promise.all(connections.map((c) => c.closed));
  clearTimeout(timeout);
  finish();
}

function finish() {
  console.log(`done ${JSON.stringify({ sent: totalSent, received: totalReceived, errors: errors.slice(0, 20), errorCount: errors.length })}`);
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
