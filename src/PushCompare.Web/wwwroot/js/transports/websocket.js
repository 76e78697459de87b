// A thin adapter: the browser's own WebSocket behind the shared SocketBase surface (events are re-fired unchanged).
// It also counts the frames it sends and receives, the only traffic a script can see on a WebSocket.
import { SocketBase, events, closeDetail } from './socket.js';
import { frameHeaderBytes, payloadBytes } from './framing.js';

export class WebSocketTransport extends SocketBase {
  #ws;
  #key;
  #sent = { messages: 0, payload: 0, wire: 0 };
  #received = { messages: 0, payload: 0, wire: 0 };

  /** @param {string} url ws:// or wss:// URL of the echo endpoint; its ?client= token is this socket's key in /api/stats */
  constructor(url) {
    super();
    this.#key = new URL(url).searchParams.get('client');
    this.#ws = new WebSocket(url);
    this.#ws.onopen = () => this.dispatchEvent(events.open());
    this.#ws.onmessage = (e) => {
      count(this.#received, payloadBytes(e.data), false);
      this.dispatchEvent(events.message(e.data, e.origin));
    };
    this.#ws.onerror = () => this.dispatchEvent(events.error()); // the browser never says why, by design
    this.#ws.onclose = (e) => this.dispatchEvent(events.close(e.code, e.reason, e.wasClean));
  }

  get url() { return this.#ws.url; }
  get readyState() { return this.#ws.readyState; }
  get bufferedAmount() { return this.#ws.bufferedAmount; }
  /** The key of this socket's figures in /api/stats (the ?client= token), or null without one. */
  get sessionKey() { return this.#key; }

  send(data) {
    this.#ws.send(data); // throws while connecting; silently drops once closing, so only an open socket counts
    if (this.#ws.readyState === WebSocket.OPEN) count(this.#sent, payloadBytes(data), true);
  }

  close(code, reason) { this.#ws.close(code, reason); }

  /**
   * What the page itself saw: messages and their payload, each as one frame with its RFC 6455 header (browsers send
   * small messages unfragmented). Scripts cannot see the handshake, control frames (close, ping, pong) or fragmentation.
   */
  traffic() {
    return {
      source: 'websocket',
      requests: 1, // the upgrade request; WebSockets have no Resource Timing entry, but each is exactly one
      messagesSent: this.#sent.messages,
      messagesReceived: this.#received.messages,
      bytesSent: this.#sent.wire,
      bytesReceived: this.#received.wire,
      payloadBytesReceived: this.#received.payload,
    };
  }
}

function count(tally, payload, masked) {
  tally.messages++;
  tally.payload += payload;
  tally.wire += payload + frameHeaderBytes(payload, masked);
}

/** The log's words for a WebSocket's close: its closing handshake's code and reason. */
export function describeWebSocketClose(e) {
  return `close — ${closeDetail(e)}`;
}
