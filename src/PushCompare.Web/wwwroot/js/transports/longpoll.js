// LongPollSocket: the /poll protocol (docs/protocol.md) behind the same surface as the browser's WebSocket.
// One session per socket: HttpSession opens it (POST /poll) and ends it (DELETE), a GET loop receives, and the shared
// Outbox sends one message at a time (POST /poll/{id}?seq=N).
import { SocketBase, events, CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';
import { sleep } from './backoff.js';
import { ResourceTally } from './resource-traffic.js';
import { HttpSession, CloseCode, Fatal, retryDefaults, checkCloseArguments, acceptsText, resourceTraffic, failureOf, drain } from './session.js';
import { Outbox } from './outbox.js';

export { CloseCode };

const defaults = Object.freeze({
  wait: undefined,   // when set, POST /poll?wait=N sets the session's hold time (wait=0: polls answer at once, i.e. short polling)
  intervalMs: 0,     // from the start of one poll to the start of the next; 0 polls again at once, which is long polling
  ...retryDefaults,  // backoff and how many failures in a row end the socket
});

const utf8 = new TextEncoder();

export class LongPollSocket extends SocketBase {
  #url;
  #options;
  #state = CONNECTING;
  #session;
  #outbox;
  #traffic;                      // Resource Timing entries of this session's requests
  #received = { messages: 0, payload: 0 };
  #cursor = 0;

  /**
   * @param {string|URL} url the /poll endpoint (may carry ?echo=exact)
   * @param {{wait?: number, intervalMs?: number, baseDelayMs?: number, maxDelayMs?: number, maxAttempts?: number}} [options]
   */
  constructor(url, options = {}) {
    super();
    this.#options = { ...defaults, ...options };
    const open = new URL(url, globalThis.location?.href);
    if (this.#options.wait !== undefined) open.searchParams.set('wait', String(this.#options.wait));
    this.#url = open.href;
    this.#session = new HttpSession(this.#url, { ...this.#options, onRetry: (e) => this.dispatchEvent(e) });
    this.#outbox = new Outbox(this.#session, {
      messageUrl: (seq) => {
        const send = new URL(this.#session.url);
        send.searchParams.set('seq', String(seq));
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
  /** This socket's key in /api/stats: the session's stats key, not its id (null until open). */
  get sessionKey() { return this.#session.statsKey; }

  /**
   * What the page itself saw: the Resource Timing entries of this session's requests (completed ones only: a held
   * poll appears when it ends) and the messages it handled. Resource Timing has no request sizes, and its
   * transferSize is the body plus a fixed 300 bytes, so the header bytes of HTTP stay invisible to scripts.
   */
  traffic() {
    return resourceTraffic(this.#traffic, this.#outbox.sent, this.#received);
  }

  send(data) {
    if (!acceptsText(this.#state, data, 'LongPollSocket')) return;
    this.#outbox.send(String(data));
  }

  close(code, reason = '') {
    checkCloseArguments(code, reason);
    if (this.#state === CLOSING || this.#state === CLOSED) return;

    const wasConnecting = this.#state === CONNECTING;
    this.#state = CLOSING;
    this.#session.stop();
    if (wasConnecting) {
      // As WebSocket: closing before open fails the connection (error, then close 1006), in a later task.
      // The POST in flight is not aborted: when its 201 arrives, #open deletes the session it made.
      setTimeout(() => this.#finish(CloseCode.abnormal, '', false, 'The connection was closed before it was established.'));
      return;
    }
    // The held poll is not aborted (that would tear its TCP connection down): the DELETE makes the server answer it
    // 410 at once. As a WebSocket's close event waits for the closing handshake, close fires once every request of
    // the session has finished, so the server's figures are final then.
    this.#session.end().then(
      () => this.#finish(code ?? CloseCode.normal, reason, true), // 404/410 too: the session is gone
      () => this.#finish(CloseCode.abnormal, '', false, 'DELETE failed: the server may keep the session until it expires.'));
  }

  async #open() {
    await this.#session.open();
    if (this.#state !== CONNECTING) { // close() won the race with the 201: free the session just made
      this.#session.discard();
      return;
    }
    this.#state = OPEN;
    this.dispatchEvent(events.open());
    this.#run(this.#pollLoop());
  }

  async #pollLoop() {
    const origin = new URL(this.#url).origin;
    while (this.#state === OPEN) {
      const started = performance.now();
      const batch = await this.#session.withRetry('poll', () => this.#pollOnce());
      if (batch) {
        for (const text of batch.messages) {
          if (this.#state !== OPEN) return; // as WebSocket: no message events once closing has begun
          this.#received.messages++;
          this.#received.payload += utf8.encode(text).length;
          this.dispatchEvent(events.message(text, origin));
        }
        this.#cursor = batch.cursor; // acknowledges this batch on the next poll
      }
      const rest = this.#options.intervalMs - (performance.now() - started);
      if (rest > 0 && this.#state === OPEN) await sleep(rest, this.#session.signal);
    }
  }

  // One GET: the batch on 200, null on 204 (timed out or superseded; poll again). The session's hold time applies.
  async #pollOnce() {
    const url = new URL(this.#session.url);
    url.searchParams.set('cursor', String(this.#cursor));
    const response = await fetch(url);
    if (response.status === 204) return drain(response);
    if (response.status !== 200) throw await failureOf(response);
    const batch = await response.json(); // a body cut short throws here and the same cursor is polled again
    if (!Number.isSafeInteger(batch?.cursor) || !Array.isArray(batch.messages)) {
      throw new Fatal(CloseCode.badRequest, 'The poll answer is not {"cursor": N, "messages": [...]}.');
    }
    return batch;
  }

  // Runs a background task; a Fatal (or a bug) ends the socket unless close() already took over.
  #run(task) {
    task.catch((err) => {
      if (this.#state === CLOSING || this.#state === CLOSED) return;
      const fatal = this.#session.abandon(err); // frees the session on the server unless it is gone already
      const reason = fatal.code === CloseCode.abnormal ? '' : fatal.message; // as WebSocket: 1006 carries no reason
      this.#finish(fatal.code, reason, false, fatal.message);
    });
  }

  #finish(code, reason, wasClean, errorMessage) {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#session.stop();
    this.#traffic.stop();
    this.#outbox.clear();
    if (errorMessage !== undefined) this.dispatchEvent(events.error(errorMessage));
    this.dispatchEvent(events.close(code, reason, wasClean));
  }
}
