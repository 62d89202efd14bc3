// A Node.js peer for Conduit's WebSocket interop tests, on the `ws` package.
//
//   node ws_peer.js client URL [TOKEN]   connect (Authorization: Bearer TOKEN if given), then echo
//   node ws_peer.js server               listen on 127.0.0.1, port chosen; print "listening PORT";
//                                        serve one client, echoing
//   node ws_peer.js ask URL TEXT         connect, send TEXT as a text message, print the answer as
//                                        "text N CONTENT" or "binary N", then close (as a browser would)
//
// Echoing sends each message back as it came, binary or text, and prints "binary N" or "text N"
// (N bytes) per message, so the test can check how frames arrived. A text message "fragment" is
// answered instead with one text message sent in three frames: "part1", "part2", "part3".
// The process exits 0 when the connection closes normally.
'use strict';
const WebSocket = require('ws');

function echo(socket) {
  socket.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'fragment') {
      socket.send('part1', { fin: false });
      socket.send('part2', { fin: false });
      socket.send('part3', { fin: true });
      return;
    }
    process.stdout.write((isBinary ? 'binary ' : 'text ') + data.length + '\n');
    socket.send(data, { binary: isBinary });
  });
  socket.on('close', (code) => {
    process.stdout.write('closed ' + code + '\n', () => process.exit(code === 1000 || code === 1005 ? 0 : 1));
  });
  socket.on('error', (e) => {
    process.stderr.write('ws_peer: ' + e.message + '\n');
    process.exit(2);
  });
}

const [mode, url, token] = process.argv.slice(2);
if (mode === 'client') {
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const socket = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
  socket.on('open', () => process.stdout.write('open\n'));
  echo(socket);
} else if (mode === 'ask') {
  const text = token; // the third argument: for ask, the message
  const socket = new WebSocket(url);
  socket.on('open', () => socket.send(text, { binary: false }));
  socket.on('message', (data, isBinary) => {
    process.stdout.write((isBinary ? 'binary ' + data.length : 'text ' + data.length + ' ' + data) + '\n');
    socket.close(1000);
  });
  socket.on('close', (code) => process.exit(code === 1000 || code === 1005 ? 0 : 1));
  socket.on('error', (e) => {
    process.stderr.write('ws_peer: ' + e.message + '\n');
    process.exit(2);
  });
} else if (mode === 'server') {
  const server = new WebSocket.Server({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
  server.on('listening', () => process.stdout.write('listening ' + server.address().port + '\n'));
  server.on('connection', (socket) => {
    echo(socket);
    socket.on('close', () => server.close());
  });
} else {
  process.stderr.write('usage: ws_peer.js client URL [TOKEN] | server | ask URL TEXT\n');
  process.exit(64);
}
