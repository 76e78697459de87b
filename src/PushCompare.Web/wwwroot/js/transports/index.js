// The transports the page offers, and one factory so page code never branches on which is in use.
import { WebSocketTransport } from './websocket.js';
import { LongPollSocket } from './longpoll.js';

export { CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';

/** In display order; the page builds its transport switch from this list. */
export const transports = Object.freeze([
  {
    id: 'websocket',
    label: 'WebSocket',
    hint: 'One GET /ws upgrades to WebSocket (101); every message after that is a frame on the same connection.',
    create: (base) => new WebSocketTransport(websocketUrl(new URL('ws', base))),
  },
  {
    id: 'longpoll',
    label: 'Long polling',
    hint: 'POST /poll opens a session; each message is a POST of its own, and replies come back on a GET the server holds open.',
    create: (base) => new LongPollSocket(new URL('poll', base)),
  },
  // Short polling would be one more entry: new LongPollSocket(new URL('poll', base), { wait: 0, intervalMs: 1000 }).
]);

/**
 * Opens a socket for `transport` ('websocket' or 'longpoll') against the app at `baseUrl`.
 * @returns {import('./socket.js').SocketBase} WebSocket-shaped: onopen, onmessage, onerror, onclose, send, close, readyState
 */
export function createSocket(transport, baseUrl = globalThis.location.href) {
  const entry = transports.find((t) => t.id === transport);
  if (!entry) throw new RangeError(`Unknown transport '${transport}': use ${transports.map((t) => t.id).join(' or ')}.`);
  return entry.create(baseUrl);
}

function websocketUrl(httpUrl) {
  httpUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  return httpUrl.href;
}
