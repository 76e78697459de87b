// The WebSocket-shaped surface every transport shares, so page code can hold any of them without knowing which.

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

const handlerEvents = ['open', 'message', 'error', 'close', 'retry'];

/** An EventTarget with WebSocket's readyState constants and on<event> handler properties (onopen, onmessage, …). */
export class SocketBase extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSING = CLOSING;
  static CLOSED = CLOSED;

  #handlers = new Map();

  constructor() {
    super();
    // One listener per type calls whichever handler property is set when the event fires, as the DOM does.
    for (const type of handlerEvents) {
      this.addEventListener(type, (event) => this.#handlers.get(type)?.call(this, event));
    }
  }

  static {
    for (const type of handlerEvents) {
      Object.defineProperty(this.prototype, `on${type}`, {
        get() { return this.#handlers.get(type) ?? null; },
        set(handler) { this.#handlers.set(type, typeof handler === 'function' ? handler : null); },
        enumerable: true,
        configurable: true,
      });
    }
  }

  get CONNECTING() { return CONNECTING; }
  get OPEN() { return OPEN; }
  get CLOSING() { return CLOSING; }
  get CLOSED() { return CLOSED; }
}

/** Fired before a failed HTTP exchange is tried again (or an EventSource reconnects); WebSocket itself never fires it. */
export class RetryEvent extends Event {
  constructor({ operation, attempt, delayMs, reason }) {
    super('retry');
    this.operation = operation; // 'open', 'send', 'poll', 'ack' or 'stream' (an EventSource reconnecting)
    this.attempt = attempt;     // how many attempts in a row have failed so far
    this.delayMs = delayMs;     // wait before the next attempt
    this.reason = reason;       // e.g. 'HTTP 503' or the network error's message
  }
}

/** The four WebSocket events, built the same way by every transport. */
export const events = {
  open: () => new Event('open'),
  message: (data, origin = '') => new MessageEvent('message', { data, origin }),
  error: (message = '') => new ErrorEvent('error', { message }),
  close: (code, reason, wasClean) => new CloseEvent('close', { code, reason, wasClean }),
};

/** A close event's facts as the log's detail: `code 1000 “reason”, clean`. */
export function closeDetail({ code, reason, wasClean }) {
  return `code ${code}${reason ? ` “${reason}”` : ''}, ${wasClean ? 'clean' : 'not clean'}`;
}
