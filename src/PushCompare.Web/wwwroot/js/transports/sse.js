// EventSourceSocket: the /sse protocol (docs/protocol.md) behind the same surface as the browser's WebSocket.
// One session per socket: HttpSession opens it (POST /sse) and ends it (DELETE); the browser's EventSource receives
// its events on one GET /sse/{id} held open, and the shared Outbox sends (POST /sse/{id}?seq=N&ack=M).
import { SocketBase, RetryEvent, events, CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';
import { ResourceTally } from './resource-traffic.js';
import { HttpSession, CloseCode, Fatal, retryDefaults, checkCloseArguments, acceptsText, resourceTraffic } from './session.js';
import { Outbox } from './outbox.js';

/** A push-only stream acknowledges with POST /sse/{id}/ack once this many events came since the last acknowledgement. */
export const ACK_EVERY = 100;

// How long EventSource waits before it reconnects: what every stream announces at its start (`retry:`, which scripts
// cannot read; the 201 of POST /sse names it as reconnectMs), or before any stream started Chromium's default, 3 s.
const DEFAULT_RECONNECT_MS = 3000;

const utf8 = new TextEncoder();

export class EventSourceSocket extends SocketBase {
  #url;
  #options;
  #state = CONNECTING;
  #session;
  #outbox;
  #traffic;                 // Resource Timing entries of this session's requests (the stream's once it has ended)
  #source = null;           // the EventSource, once the session is open
  #streamStarted = false;   // whether any stream of the session ever opened
  #reconnectMs = DEFAULT_RECONNECT_MS; // the server's reconnection delay, from the 201
  #streamFailures = 0;      // stream errors since the last successful (re)connect
  #streamEnded = null;      // while closing: resolves when the stream the DELETE ended is closed
  #received = { messages: 0, payload: 0 };
  #lastEventId = 0;         // id of the last event handed to onmessage: every event up to it was processed
  #acked = 0;               // the highest id an acknowledgement (ack= on a send, or POST …/ack) has carried
  #ackQueued = false;

  /**
   * @param {string|URL} url the /sse endpoint (may carry ?echo=exact&push=T)
   * @param {{baseDelayMs?: number, maxDelayMs?: number, maxAttempts?: number}} [options] the POSTs' backoff; maxAttempts
   *   also bounds the stream's reconnects in a row
   */
  constructor(url, options = {}) {
    super();
    this.#options = { ...retryDefaults, ...options };
    this.#url = new URL(url, globalThis.location?.href).href;
    // Chromium's Resource Timing names an EventSource's request with the initiator type 'other'.
    this.#session = new HttpSession(this.#url, {
      ...this.#options, onRetry: (e) => this.dispatchEvent(e), subpaths: ['/ack'], initiatorTypes: ['fetch', 'other'],
    });
    this.#outbox = new Outbox(this.#session, {
      messageUrl: (seq) => {
        const send = new URL(this.#session.url);
        send.searchParams.set('seq', String(seq));
        if (this.#lastEventId > 0) send.searchParams.set('ack', String(this.#lastEventId)); // piggybacked: costs nothing extra
        this.#acked = Math.max(this.#acked, this.#lastEventId);
        return send;
      },
      isOpen: () => this.#state === OPEN,
      run: (task) => this.#run(task),
    });
    this.#traffic = new ResourceTally((entry) => this.#session.owns(entry));
    this.#run(this.#open());
  }

  get url() { return this.#url; }
  get readyState() { return this.#state; }
  /** UTF-8 bytes sent with send() that the server has not yet accepted. */
  get bufferedAmount() { return this.#outbox.bufferedAmount; }
  /** This socket's key in /api/stats: the session's stats key, not its id (null until the session is open). */
  get sessionKey() { return this.#session.statsKey; }

  /**
   * What the page itself saw: the Resource Timing entries of this session's requests and the messages it handled.
   * An entry appears when its request has ended, so the stream, held open for the whole session, is counted (with
   * every event it carried) only once it ends; while it is open only the POSTs are. Resource Timing has no request
   * sizes, and its transferSize is the body plus a fixed 300 bytes, so header bytes stay invisible to scripts.
   */
  traffic() {
    return resourceTraffic(this.#traffic, this.#outbox.sent, this.#received);
  }

  send(data) {
    if (!acceptsText(this.#state, data, 'EventSourceSocket')) return;
    this.#outbox.send(String(data));
  }

  close(code, reason = '') {
    checkCloseArguments(code, reason);
    if (this.#state === CLOSING || this.#state === CLOSED) return;

    const wasConnecting = this.#state === CONNECTING;
    this.#state = CLOSING;
    this.#session.stop();
    if (wasConnecting) {
      // As WebSocket: closing before open fails the connection (error, then close 1006), in a later task. A session
      // already made is freed now; a POST still in flight is not aborted: #open deletes the session its 201 made.
      if (this.#source) {
        this.#source.close();
        this.#session.discard();
      }
      setTimeout(() => this.#finish(CloseCode.abnormal, '', false, 'The connection was closed before it was established.'));
      return;
    }
    // The stream is not aborted (that would tear its TCP connection down while the server may still be writing): the
    // DELETE makes the server end it, and its end is closed at once, before EventSource can reconnect. As a WebSocket's
    // close event waits for the closing handshake, close fires once the stream and every other request have finished.
    this.#session.track(this.#streamEnd());
    this.#session.end().then(
      () => this.#finish(code ?? CloseCode.normal, reason, true), // 404/410 too: the session is gone
      () => this.#finish(CloseCode.abnormal, '', false, 'DELETE failed: the server may keep the session until it expires.'));
  }

  async #open() {
    const session = await this.#session.open();
    if (this.#state !== CONNECTING) { // close() won the race with the 201: free the session just made
      this.#session.discard();
      return;
    }
    if (Number.isSafeInteger(session.reconnectMs)) this.#reconnectMs = session.reconnectMs;
    this.#listen(new EventSource(this.#session.url));
  }

  #listen(source) {
    this.#source = source;
    const origin = new URL(this.#url).origin;
    source.onopen = () => {
      this.#streamStarted = true;
      this.#streamFailures = 0;
      if (this.#state !== CONNECTING) return; // a reconnect: the socket stays open, as it was
      this.#state = OPEN;
      this.dispatchEvent(events.open());
    };
    // Default-type events are the session's messages; `heartbeat` events have no listener, so they are ignored.
    source.onmessage = (e) => {
      if (this.#state !== OPEN) return; // as WebSocket: no message events once closing has begun
      this.#received.messages++;
      this.#received.payload += utf8.encode(e.data).length;
      this.dispatchEvent(events.message(e.data, origin));
      if (/^\d+$/.test(e.lastEventId)) this.#lastEventId = Number(e.lastEventId);
      if (this.#lastEventId - this.#acked >= ACK_EVERY) this.#ackSoon();
    };
    source.addEventListener('superseded', () => {
      source.close(); // it would reconnect and take the session back in turn
      this.#fail(new Fatal(CloseCode.superseded, 'A newer stream of this session took over (superseded).'));
    });
    source.onerror = () => this.#streamError(source);
  }

  // EventSource says only that its stream failed or ended. Still CONNECTING, it reconnects by itself with Last-Event-ID;
  // CLOSED, it gave up for good (the server answered the stream with something other than a 200 event stream).
  #streamError(source) {
    if (this.#state === CLOSED) return;
    if (this.#state === CLOSING) { // the end the DELETE asked for
      source.close();
      this.#streamEnded?.();
      return;
    }
    if (source.readyState === EventSource.CLOSED) {
      this.#fail(this.#refusal());
      return;
    }
    this.#streamFailures++;
    const reason = this.#state === OPEN && this.#streamFailures === 1 ? 'the stream ended' : 'the stream could not connect';
    if (this.#streamFailures >= this.#options.maxAttempts) {
      source.close();
      this.#fail(new Fatal(CloseCode.abnormal, `stream failed ${this.#streamFailures} times in a row (last: ${reason}).`));
      return;
    }
    const delayMs = this.#streamStarted ? this.#reconnectMs : DEFAULT_RECONNECT_MS;
    this.dispatchEvent(new RetryEvent({ operation: 'stream', attempt: this.#streamFailures, delayMs, reason }));
  }

  // Why EventSource gave up, as far as a script can tell: it sees neither the status nor the body of the refusal (even
  // Resource Timing's responseStatus is 0 for it). A session whose stream was served before and whose reconnect is
  // refused is gone (410 closed or expired, 204 shut down with everything delivered); a first connect refused, 1006.
  #refusal() {
    if (this.#streamStarted) {
      return new Fatal(CloseCode.gone, 'The server refused to resume the stream: the session was closed, expired or shut down.');
    }
    return new Fatal(CloseCode.abnormal, 'The server refused the stream (EventSource does not say why) and it will not reconnect.');
  }

  // Queues one POST …/ack behind any sends; a send in the meantime carries the acknowledgement itself.
  #ackSoon() {
    if (this.#ackQueued) return;
    this.#ackQueued = true;
    this.#outbox.post('ack', () => {
      this.#ackQueued = false;
      if (this.#lastEventId <= this.#acked) return null;
      this.#acked = this.#lastEventId;
      const ack = new URL(`${this.#session.url}/ack`);
      ack.searchParams.set('lastEventId', String(this.#lastEventId));
      return ack;
    });
  }

  // While closing: resolves once the stream is closed. An open one is left for the server to end (see close).
  #streamEnd() {
    const source = this.#source;
    if (!source || source.readyState !== EventSource.OPEN) {
      source?.close();
      return Promise.resolve();
    }
    return new Promise((resolve) => { this.#streamEnded = resolve; });
  }

  // Runs a background task; a Fatal (or a bug) ends the socket unless close() already took over.
  #run(task) {
    task.catch((err) => this.#fail(err));
  }

  #fail(err) {
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    this.#source?.close();
    const fatal = this.#session.abandon(err); // frees the session on the server unless it is gone already
    const reason = fatal.code === CloseCode.abnormal ? '' : fatal.message; // as WebSocket: 1006 carries no reason
    this.#finish(fatal.code, reason, false, fatal.message);
  }

  #finish(code, reason, wasClean, errorMessage) {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#source?.close(); // if the server never ended the stream within the settle time
    this.#session.stop();
    this.#traffic.stop();
    this.#outbox.clear();
    if (errorMessage !== undefined) this.dispatchEvent(events.error(errorMessage));
    this.dispatchEvent(events.close(code, reason, wasClean));
  }
}
