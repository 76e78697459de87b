// EventSourceSocket: the /sse protocol (docs/protocol.md) behind the same surface as the browser's WebSocket. The
// session, sending and closing are SessionSocket's; what is Server-Sent Events' own is how replies come back: the
// browser's EventSource on one GET /sse/{id} held open, acknowledged on the next send (ack=M) or now and then alone.
import { RetryEvent, OPEN, CLOSING, CLOSED } from './socket.js';
import { SessionSocket, CloseCode, Fatal } from './session-socket.js';

/** A push-only stream acknowledges with POST /sse/{id}/ack once this many events came since the last acknowledgement. */
export const ACK_EVERY = 100;

// How long EventSource waits before it reconnects: what every stream announces at its start (`retry:`, which scripts
// cannot read; the 201 of POST /sse names it as reconnectMs), or before any stream started Chromium's default, 3 s.
const DEFAULT_RECONNECT_MS = 3000;

export class EventSourceSocket extends SessionSocket {
  /**
   * @param {string|URL} url the /sse endpoint (may carry ?echo=exact&push=T)
   * @param {{baseDelayMs?: number, maxDelayMs?: number, maxAttempts?: number}} [options] the POSTs' backoff; maxAttempts
   *   also bounds the stream's reconnects in a row
   */
  constructor(url, options = {}) {
    super(url, new StreamReceiver(), options);
  }
}

class StreamReceiver {
  // Chromium's Resource Timing names an EventSource's request with the initiator type 'other'.
  initiatorTypes = ['fetch', 'other'];
  subpaths = ['/ack'];
  #link;
  #source = null;           // the EventSource, once the session is open
  #streamStarted = false;   // whether any stream of the session ever opened
  #reconnectMs = DEFAULT_RECONNECT_MS; // the server's reconnection delay, from the 201
  #streamFailures = 0;      // stream errors since the last successful (re)connect
  #streamEnded = null;      // while closing: resolves when the stream the DELETE ended is closed
  #lastEventId = 0;         // id of the last event handed to onmessage: every event up to it was processed
  #acked = 0;               // the highest id an acknowledgement (ack= on a send, or POST …/ack) has carried
  #ackQueued = false;

  start(link, opened) {
    this.#link = link;
    if (Number.isSafeInteger(opened.reconnectMs)) this.#reconnectMs = opened.reconnectMs;
    this.#listen(new EventSource(link.session.url));
  }

  // A send acknowledges what was processed so far: piggybacked, it costs nothing extra.
  decorateSend(url) {
    if (this.#lastEventId > 0) url.searchParams.set('ack', String(this.#lastEventId));
    this.#acked = Math.max(this.#acked, this.#lastEventId);
  }

  // The stream is not aborted (that would tear its TCP connection down while the server may still be writing): the
  // DELETE makes the server end it, and its end is closed at once, before EventSource can reconnect.
  stop() {
    this.#link.session.track(this.#streamEnd());
  }

  abort() {
    this.#source?.close();
  }

  #listen(source) {
    this.#source = source;
    source.onopen = () => {
      this.#streamStarted = true;
      this.#streamFailures = 0;
      this.#link.opened(); // a reconnect: the socket stays open, as it was
    };
    // Default-type events are the session's messages; `heartbeat` events have no listener, so they are ignored.
    source.onmessage = (e) => {
      if (!this.#link.deliver(e.data)) return;
      if (/^\d+$/.test(e.lastEventId)) this.#lastEventId = Number(e.lastEventId);
      if (this.#lastEventId - this.#acked >= ACK_EVERY) this.#ackSoon();
    };
    source.addEventListener('superseded', () => {
      source.close(); // it would reconnect and take the session back in turn
      this.#link.fail(new Fatal(CloseCode.superseded, 'A newer stream of this session took over (superseded).'));
    });
    source.onerror = () => this.#streamError(source);
  }

  // EventSource says only that its stream failed or ended. Still CONNECTING, it reconnects by itself with Last-Event-ID;
  // CLOSED, it gave up for good (the server answered the stream with something other than a 200 event stream).
  #streamError(source) {
    const { state } = this.#link;
    if (state === CLOSED) return;
    if (state === CLOSING) { // the end the DELETE asked for
      source.close();
      this.#streamEnded?.();
      return;
    }
    if (source.readyState === EventSource.CLOSED) {
      this.#link.fail(this.#refusal());
      return;
    }
    this.#streamFailures++;
    const reason = state === OPEN && this.#streamFailures === 1 ? 'the stream ended' : 'the stream could not connect';
    if (this.#streamFailures >= this.#link.options.maxAttempts) {
      source.close();
      this.#link.fail(new Fatal(CloseCode.abnormal, `stream failed ${this.#streamFailures} times in a row (last: ${reason}).`));
      return;
    }
    const delayMs = this.#streamStarted ? this.#reconnectMs : DEFAULT_RECONNECT_MS;
    this.#link.dispatch(new RetryEvent({ operation: 'stream', attempt: this.#streamFailures, delayMs, reason }));
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
    this.#link.outbox.post('ack', () => {
      this.#ackQueued = false;
      if (this.#lastEventId <= this.#acked) return null;
      this.#acked = this.#lastEventId;
      const ack = new URL(`${this.#link.session.url}/ack`);
      ack.searchParams.set('lastEventId', String(this.#lastEventId));
      return ack;
    });
  }

  // While closing: resolves once the stream is closed. An open one is left for the server to end (see stop).
  #streamEnd() {
    const source = this.#source;
    if (!source || source.readyState !== EventSource.OPEN) {
      source?.close();
      return Promise.resolve();
    }
    return new Promise((resolve) => { this.#streamEnded = resolve; });
  }
}
