// A thin adapter: the browser's own WebSocket behind the shared SocketBase surface (events are re-fired unchanged).
import { SocketBase, events } from './socket.js';

export class WebSocketTransport extends SocketBase {
  #ws;

  /** @param {string} url ws:// or wss:// URL of the echo endpoint */
  constructor(url) {
    super();
    this.#ws = new WebSocket(url);
    this.#ws.onopen = () => this.dispatchEvent(events.open());
    this.#ws.onmessage = (e) => this.dispatchEvent(events.message(e.data, e.origin));
    this.#ws.onerror = () => this.dispatchEvent(events.error()); // the browser never says why, by design
    this.#ws.onclose = (e) => this.dispatchEvent(events.close(e.code, e.reason, e.wasClean));
  }

  get url() { return this.#ws.url; }
  get readyState() { return this.#ws.readyState; }
  get bufferedAmount() { return this.#ws.bufferedAmount; }

  send(data) { this.#ws.send(data); }
  close(code, reason) { this.#ws.close(code, reason); }
}
