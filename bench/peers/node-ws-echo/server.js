// Reference peer for the PushCompare bench: the plainest `ws` 8 echo server (each message sent back as received).
// Usage: node server.js [port]   (port 0 or none = a free one; the bench reads "listening on <port>").
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const server = new WebSocketServer({ host: '127.0.0.1', port });

server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
server.on('listening', () => console.log(`listening on ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
