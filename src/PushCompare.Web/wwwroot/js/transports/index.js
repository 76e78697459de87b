// The transports the page offers, and one factory so page code never branches on which is in use.
import { WebSocketTransport, describeWebSocketClose } from './websocket.js';
import { LongPollSocket } from './longpoll.js';
import { ShortPollSocket, DEFAULT_INTERVAL_MS } from './shortpoll.js';
import { EventSourceSocket } from './sse.js';
import { describeSessionClose } from './session-socket.js';
import { newClientKey } from './client-key.js';
import { AutoSocket, DEFAULT_ORDER, describeAutoClose, describeTransport } from './auto.js';

export { CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';
export { DEFAULT_INTERVAL_MS };

/**
 * In display order; the page builds its transport switch, live panel columns and comparison runs from this list.
 * `settings` names the connect options a transport uses beyond push (so the page knows when a change needs a reconnect);
 * `describeClose` words a close event for the log. An entry that `carries` others (auto) picks one of them at run time:
 * its socket fires `transport` events (worded by `describeTransport`) and names the one in use as `socket.transport`;
 * the server meters it under the transports it used, so a comparison runs it only when asked (`optional`).
 */
export const transports = Object.freeze([
  {
    id: 'websocket',
    label: 'WebSocket',
    hint: 'One GET /ws upgrades to WebSocket (101); every message after that is a frame on the same connection.',
    settings: [],
    describeClose: describeWebSocketClose,
    create: (base, { push, topic, client = newClientKey() } = {}) =>
      new WebSocketTransport(websocketUrl(endpoint(base, 'ws', { client, push, topic }))),
  },
  {
    id: 'longpoll',
    label: 'Long polling',
    hint: 'POST /poll opens a session; each message is a POST of its own, and replies come back on a GET the server holds open.',
    settings: [],
    describeClose: describeSessionClose('/poll'),
    create: (base, { push, topic } = {}) => new LongPollSocket(endpoint(base, 'poll', { push, topic })),
  },
  {
    id: 'shortpoll',
    label: 'Short polling',
    hint: 'POST /poll?wait=0 opens a session whose polls answer at once; the page asks for news on a timer, mostly hearing “nothing” (204).',
    settings: ['intervalMs'],
    describeClose: describeSessionClose('/poll'),
    create: (base, { push, topic, intervalMs = DEFAULT_INTERVAL_MS } = {}) =>
      new ShortPollSocket(endpoint(base, 'poll', { push, topic }), { intervalMs }),
  },
  {
    id: 'sse',
    label: 'Server-Sent Events',
    hint: 'POST /sse opens a session; replies arrive as events on one GET the server keeps open (EventSource), and each message is a POST of its own.',
    settings: [],
    describeClose: describeSessionClose('/sse'),
    create: (base, { push, topic } = {}) => new EventSourceSocket(endpoint(base, 'sse', { push, topic })),
  },
  {
    id: 'auto',
    label: 'Auto',
    hint: 'One session on whichever transport works: WebSocket first, then Server-Sent Events, then long polling; it falls back on evidence, moves back up when the better one works again, and resumes where it stopped.',
    settings: [],
    carries: DEFAULT_ORDER,
    optional: true,
    describeClose: describeAutoClose,
    describeTransport,
    create: (base, { push, topic, order } = {}) => new AutoSocket(base, { push, topic, order }),
  },
]);

/**
 * Opens a socket for `transport` ('websocket', 'longpoll', 'shortpoll', 'sse' or 'auto') against the app at `baseUrl`.
 * @param {{push?: number, topic?: string, intervalMs?: number, client?: string, order?: string[]}} [options] push: server
 *   ticks every N ms; topic: the broadcast topic to subscribe to (its messages arrive through onmessage like any other);
 *   intervalMs: short-polling period; client: the WebSocket's key in /api/stats (random when absent); order: auto's
 *   transports, best first (default websocket, sse, longpoll)
 * @returns {import('./socket.js').SocketBase} WebSocket-shaped: onopen, onmessage, onerror, onclose, send, close,
 *   readyState, plus sessionKey (its /api/stats key) and traffic() (what the browser itself saw)
 */
export function createSocket(transport, baseUrl = globalThis.location.href, options = {}) {
  const entry = transports.find((t) => t.id === transport);
  if (!entry) throw new RangeError(`Unknown transport '${transport}': use ${transports.map((t) => t.id).join(', ')}.`);
  return entry.create(baseUrl, options);
}

function endpoint(base, path, query) {
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
  return url;
}

function websocketUrl(httpUrl) {
  httpUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  return httpUrl.href;
}
