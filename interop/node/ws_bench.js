// Node's `ws` as a peer in `conduit bench`: both sides of the harness's session
// (conduit-bench Session.java) over one WebSocket, so the table has Node's own figure.
//
//   node ws_bench.js server node-ws SIZE DIR OPTIONS  listen on 127.0.0.1; print
//                                          "ready ws://127.0.0.1:PORT/"; serve one client
//   node ws_bench.js client node-ws SIZE URL PLAN     PLAN is durationMillis,warmupMillis,
//                                          maxMessages,pin; print one result line as
//                                          BenchPeer's client does
// (the arguments BenchPeer takes; DIR and OPTIONS are not used)
//
// Messages are the harness's (Payloads.java): seq (4 bytes), CRC-32C of bytes 8.. (4), seq times
// the golden ratio (8), fixed bytes; the receiving side checks each one, as the Java peers do.
'use strict';
const WebSocket = require('ws');

const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC_TABLE[n] = c;
}
function crc32c(buf, from) {
  let c = -1;
  for (let i = from; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) | 0;
}
const GOLDEN = 0x9E3779B97F4A7C15n;

function payloads(size) {
  const template = Buffer.alloc(size);
  for (let i = 16; i < size; i++) template[i] = (i * 131 + size) & 0xff;
  return {
    next(seq) {
      const m = Buffer.from(template);
      m.writeInt32BE(seq | 0, 0);
      m.writeBigInt64BE(BigInt.asIntN(64, BigInt(seq) * GOLDEN), 8);
      m.writeInt32BE(crc32c(m, 8), 4);
      return m;
    },
    verify(m, seq) {
      if (m.length !== size) throw new Error(`message ${seq}: length ${m.length}, expected ${size}`);
      if (m.readInt32BE(0) !== (seq | 0)) throw new Error(`message ${seq}: carries ${m.readInt32BE(0)}`);
      if (m.readInt32BE(4) !== crc32c(m, 8)) throw new Error(`message ${seq}: checksum mismatch`);
    },
  };
}

// Messages arrive as events; a queue turns them into awaitable receives.
function inbox(socket) {
  const queue = [];
  let waiting = null;
  socket.on('message', (data) => {
    if (waiting) { const w = waiting; waiting = null; w(data); } else queue.push(data);
  });
  return () => queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiting = r; });
}

async function serve(socket, size) {
  const receive = inbox(socket);
  for (;;) {
    const m = await receive();
    socket.send(m, { binary: true });
    if (m.length === 0) break;
  }
  const p = payloads(size);
  for (let phase = 1; phase < 5; phase++) {
    let count = 0;
    for (let m = await receive(); m.length !== 0; m = await receive()) p.verify(m, count++);
    const ack = Buffer.alloc(8);
    ack.writeBigInt64BE(BigInt(count));
    socket.send(ack, { binary: true });
  }
}

function percentile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function drive(socket, size, plan) {
  const [durationMs, warmupMs, maxMessages] = plan.split(',').map(Number);
  const receive = inbox(socket);
  const p = payloads(size);
  const now = () => Number(process.hrtime.bigint());
  const rtts = [];
  const warmEnd = now() + warmupMs * 1e6;
  const end = warmEnd + durationMs * 1e6;
  for (let seq = 0; ; seq++) {
    const m = p.next(seq);
    const t0 = now();
    socket.send(m, { binary: true });
    const echo = await receive();
    const t1 = now();
    p.verify(echo, seq);
    if (t0 >= warmEnd) {
      rtts.push(t1 - t0);
      if (rtts.length >= maxMessages || t1 >= end) break;
    }
  }
  socket.send(Buffer.alloc(0), { binary: true });
  await receive();
  // As the Java client does: the harness tells a stalled side from a slow one by these lines.
  const phaseDone = (n) => process.stdout.write(`phase ${n}\n`);
  phaseDone(1);
  async function throughput(millis) {
    const start = now();
    const stop = start + millis * 1e6;
    let sent = 0;
    while (sent < maxMessages && now() < stop) {
      // ws queues every send in memory: hold back while a megabyte waits for the socket, and let
      // the event loop write every 256 messages.
      for (let i = 0; i < 256 && socket.bufferedAmount < (1 << 20) && sent < maxMessages; i++) {
        socket.send(p.next(sent++), { binary: true });
      }
      await new Promise((r) => setImmediate(r));
    }
    socket.send(Buffer.alloc(0), { binary: true });
    const ack = await receive();
    const counted = Number(ack.readBigInt64BE(0));
    if (counted !== sent) throw new Error(`throughput: sent ${sent}, the peer counted ${counted}`);
    return [sent, now() - start];
  }
  await throughput(warmupMs);
  phaseDone(2);
  const single = await throughput(durationMs);
  phaseDone(3);
  // ws writes each message to the socket as it is sent: no separate batching to measure.
  await throughput(warmupMs);
  phaseDone(4);
  const batched = await throughput(durationMs);
  phaseDone(5);
  rtts.sort((a, b) => a - b);
  return `p50_ns=${percentile(rtts, 0.5)} p90_ns=${percentile(rtts, 0.9)} p99_ns=${percentile(rtts, 0.99)}`
      + ` p999_ns=${percentile(rtts, 0.999)} max_ns=${rtts[rtts.length - 1]} count=${rtts.length}`
      + ` tp_messages=${single[0]} tp_nanos=${single[1]} batch_messages=${batched[0]} batch_nanos=${batched[1]}`;
}

const [mode, , sizeText, url, plan] = process.argv.slice(2);
const size = Number(sizeText);
const fail = (e) => { process.stderr.write('ws_bench: ' + (e.stack || e) + '\n'); process.exit(1); };
if (mode === 'server') {
  const server = new WebSocket.Server({ host: '127.0.0.1', port: 0, maxPayload: 64 << 20 });
  server.on('listening', () => process.stdout.write(`ready ws://127.0.0.1:${server.address().port}/\n`));
  server.on('connection', (socket) => {
    socket.on('error', fail);
    serve(socket, size).then(() => socket.close(1000), fail);
    socket.on('close', () => server.close(() => process.exit(0)));
  });
} else if (mode === 'client') {
  const socket = new WebSocket(url, { maxPayload: 64 << 20 });
  socket.on('error', fail);
  socket.on('open', () => drive(socket, size, plan).then((line) => {
    process.stdout.write(line + '\n');
    socket.close(1000);
    socket.on('close', () => process.exit(0));
  }, fail));
} else {
  fail('usage: ws_bench.js server node-ws SIZE DIR OPTIONS | client node-ws SIZE URL PLAN');
}
