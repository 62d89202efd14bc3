// A NATS peer for Conduit's nats:// interop test (NatsNodeInteropTest), on npm's nats package:
// a client nobody here wrote, talking to Conduit through the same nats-server.
//   node nats_peer.js subscribe URL SUBJECT COUNT   prints "ready", then each message's text
//   node nats_peer.js publish URL SUBJECT COUNT     publishes n0..n(COUNT-1), prints "done"
//   node nats_peer.js request URL SUBJECT TEXT      prints the reply's text
"use strict";
const { connect, StringCodec } = require("nats");

const [mode, url, subject, arg] = process.argv.slice(2);
const sc = StringCodec();

async function main() {
  const nc = await connect({ servers: url });
  if (mode === "subscribe") {
    const sub = nc.subscribe(subject, { max: Number(arg) });
    await nc.flush(); // the server has the subscription before the test publishes
    console.log("ready");
    for await (const m of sub) {
      console.log(sc.decode(m.data));
    }
  } else if (mode === "publish") {
    for (let i = 0; i < Number(arg); i++) {
      nc.publish(subject, sc.encode("n" + i));
    }
    await nc.flush();
    console.log("done");
  } else if (mode === "request") {
    const reply = await nc.request(subject, sc.encode(arg), { timeout: 10000 });
    console.log(sc.decode(reply.data));
  } else {
    throw new Error("unknown mode " + mode);
  }
  await nc.drain();
}

main().catch((e) => {
  console.error("nats_peer: " + e.message);
  process.exit(1);
});
