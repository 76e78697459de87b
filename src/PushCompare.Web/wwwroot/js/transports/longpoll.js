// LongPollSocket: the /poll protocol (docs/protocol.md) behind the same surface as the browser's WebSocket.
// One session per socket: POST /poll opens it, a GET loop receives, POSTs send one at a time, DELETE ends it.
import { SocketBase, RetryEvent, events, CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';
import { backoffDelay, retryAfterMs, sleep } from './backoff.js';
import { ResourceTally } from './resource-traffic.js';

/** Close codes this socket reports; 4000–4999 is the range RFC 6455 leaves to applications. */
export const CloseCode = Object.freeze({
  normal: 1000,
  abnormal: 1006,   // gave up after maxAttempts failures in a row, or closed before open (as WebSocket does)
  tooBig: 1009,     // a message over the server's limit (413): the code WebSocket closes with for the same message
  badRequest: 4400, // the server refused a request with another 4xx; reason = its ProblemDetails detail
  notFound: 4404,   // the session id is unknown to the server
  gone: 4410,       // the session was closed or expired on the server; reason says why
});

const defaults = Object.freeze({
  wait: undefined,   // when set, POST /poll?wait=N sets the session's hold time (wait=0: polls answer at once, i.e. short polling)
  intervalMs: 0,     // from the start of one poll to the start of the next; 0 polls again at once, which is long polling
  baseDelayMs: 250,  // backoff: first retry waits up to this long…
  maxDelayMs: 5000,  // …doubling per failure up to this cap
  maxAttempts: 8,    // failed attempts in a row before the socket gives up with 1006
});

const utf8 = new TextEncoder();
const CLOSE_SETTLE_MS = 5000; // close waits this long at most for the session's last requests after the DELETE

// A failed attempt worth repeating unchanged: network error, 5xx, 429, or a body cut short.
class Retryable extends Error {
  constructor(reason, waitMs = 0) { super(reason); this.waitMs = waitMs; }
}

// An answer that ends the socket with `code`; the message is the server's detail.
class Fatal extends Error {
  constructor(code, detail) { super(detail); this.code = code; }
}

export class LongPollSocket extends SocketBase {
  #url;
  #options;
  #state = CONNECTING;
  #stop = new AbortController(); // aborts backoff and interval waits; requests in flight are left to finish (see close)
  #inflight = new Set();         // exchanges (request and body) not yet finished
  #sessionUrl = null;
  #statsKey = null;             // the name of the session's figures in /api/stats; the id itself is a credential
  #traffic;                      // Resource Timing entries of this session's requests
  #openStartedAt = 0;
  #openedAt = Infinity;
  #sent = { messages: 0, payload: 0 };
  #received = { messages: 0, payload: 0 };
  #cursor = 0;
  #nextSeq = 1;
  #outbox = [];                  // { seq, text, bytes } not yet accepted, oldest first; only the head is in flight
  #sending = false;
  #buffered = 0;

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
    this.#openStartedAt = performance.now();
    this.#traffic = new ResourceTally((entry) => this.#isMine(entry));
    this.#run(this.#open());
  }

  get url() { return this.#url; }
  get readyState() { return this.#state; }
  /** UTF-8 bytes sent with send() that the server has not yet accepted. */
  get bufferedAmount() { return this.#buffered; }
  /** This socket's key in /api/stats: the session's stats key, not its id (null until open). */
  get sessionKey() { return this.#statsKey; }

  /**
   * What the page itself saw: the Resource Timing entries of this session's requests (completed ones only: a held
   * poll appears when it ends) and the messages it handled. Resource Timing has no request sizes, and its
   * transferSize is the body plus a fixed 300 bytes, so the header bytes of HTTP stay invisible to scripts.
   */
  traffic() {
    return {
      source: 'resource-timing',
      requests: this.#traffic.requests,
      messagesSent: this.#sent.messages,
      messagesReceived: this.#received.messages,
      bytesSent: null,
      bytesReceived: this.#traffic.transferSize,
      payloadBytesReceived: this.#traffic.encodedBodySize,
    };
  }

  send(data) {
    if (this.#state === CONNECTING) {
      throw new DOMException("Failed to execute 'send' on 'LongPollSocket': Still in CONNECTING state.", 'InvalidStateError');
    }
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) {
      throw new TypeError('LongPollSocket carries text messages only.');
    }
    if (this.#state !== OPEN) return; // as WebSocket: data sent once closing has begun is discarded
    const text = String(data);
    const bytes = utf8.encode(text).length;
    this.#outbox.push({ seq: this.#nextSeq++, text, bytes });
    this.#buffered += bytes;
    if (!this.#sending) this.#run(this.#drainOutbox());
  }

  close(code, reason = '') {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
    }
    if (utf8.encode(reason).length > 123) {
      throw new DOMException('The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError');
    }
    if (this.#state === CLOSING || this.#state === CLOSED) return;

    const wasConnecting = this.#state === CONNECTING;
    this.#state = CLOSING;
    this.#stop.abort();
    if (wasConnecting) {
      // As WebSocket: closing before open fails the connection (error, then close 1006), in a later task.
      // The POST in flight is not aborted: when its 201 arrives, #open deletes the session it made.
      setTimeout(() => this.#finish(CloseCode.abnormal, '', false, 'The connection was closed before it was established.'));
      return;
    }
    // The held poll is not aborted (that would tear its TCP connection down): the DELETE makes the server answer it
    // 410 at once. As a WebSocket's close event waits for the closing handshake, close fires once every request of
    // the session has finished, so the server's figures are final then. keepalive lets the DELETE outlive the page.
    this.#exchange(() => fetch(this.#sessionUrl, { method: 'DELETE', keepalive: true }).then(drain)).then(
      () => this.#settled().then(() => this.#finish(code ?? CloseCode.normal, reason, true)), // 404/410 too: the session is gone
      () => this.#finish(CloseCode.abnormal, '', false, 'DELETE failed: the server may keep the session until it expires.'));
  }

  async #open() {
    const session = await this.#withRetry('open', async () => {
      const response = await fetch(this.#url, { method: 'POST' });
      if (response.status !== 201) throw await failureOf(response);
      const body = await response.json();
      if (typeof body?.id !== 'string') throw new Fatal(CloseCode.badRequest, 'POST /poll answered 201 without a session id.');
      return { id: body.id, statsKey: body.statsKey ?? null, location: response.headers.get('Location') };
    });
    const url = new URL(this.#url);
    url.search = '';
    this.#sessionUrl = session.location ? new URL(session.location, url).href : `${url.href}/${encodeURIComponent(session.id)}`;
    this.#statsKey = session.statsKey;
    this.#openedAt = performance.now();
    if (this.#state !== CONNECTING) { // close() won the race with the 201: free the session just made
      fetch(this.#sessionUrl, { method: 'DELETE', keepalive: true }).catch(() => {});
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
      const batch = await this.#withRetry('poll', () => this.#pollOnce());
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
      if (rest > 0 && this.#state === OPEN) await sleep(rest, this.#stop.signal);
    }
  }

  // One GET: the batch on 200, null on 204 (timed out or superseded; poll again). The session's hold time applies.
  async #pollOnce() {
    const url = new URL(this.#sessionUrl);
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

  // Sends queued messages one at a time, in order; a retry re-sends the same seq so the server can drop a duplicate.
  async #drainOutbox() {
    this.#sending = true;
    try {
      while (this.#state === OPEN && this.#outbox.length > 0) {
        const message = this.#outbox[0];
        await this.#withRetry('send', () => this.#sendOnce(message));
        this.#outbox.shift();
        this.#buffered -= message.bytes;
        this.#sent.messages++;
        this.#sent.payload += message.bytes;
      }
    } finally {
      this.#sending = false;
    }
  }

  async #sendOnce({ seq, text }) {
    const url = new URL(this.#sessionUrl);
    url.searchParams.set('seq', String(seq));
    const response = await fetch(url, {
      method: 'POST',
      body: text,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    if (!response.ok) throw await failureOf(response);
    await drain(response);
  }

  // Repeats one exchange while it fails in a retryable way, announcing each wait; gives up after maxAttempts in a row.
  async #withRetry(operation, attempt) {
    const { signal } = this.#stop;
    for (let failures = 1; ; failures++) {
      let failure;
      try {
        return await this.#exchange(attempt);
      } catch (err) {
        if (signal.aborted || err instanceof Fatal) throw err;
        failure = err instanceof Retryable ? err : new Retryable(err?.message || String(err)); // fetch: TypeError = network
      }
      if (failures >= this.#options.maxAttempts) {
        throw new Fatal(CloseCode.abnormal, `${operation} failed ${failures} times in a row (last: ${failure.message}).`);
      }
      const delayMs = Math.max(failure.waitMs, backoffDelay(failures, this.#options));
      this.dispatchEvent(new RetryEvent({ operation, attempt: failures, delayMs, reason: failure.message }));
      await sleep(delayMs, signal);
    }
  }

  // Runs a background task; a Fatal (or a bug) ends the socket unless close() already took over.
  #run(task) {
    task.catch((err) => {
      if (this.#state === CLOSING || this.#state === CLOSED) return;
      const fatal = err instanceof Fatal ? err : new Fatal(CloseCode.abnormal, String(err?.message ?? err));
      if (this.#sessionUrl && fatal.code !== CloseCode.gone && fatal.code !== CloseCode.notFound) {
        fetch(this.#sessionUrl, { method: 'DELETE', keepalive: true }).catch(() => {}); // best effort: free it now
      }
      const reason = fatal.code === CloseCode.abnormal ? '' : fatal.message; // as WebSocket: 1006 carries no reason
      this.#finish(fatal.code, reason, false, fatal.message);
    });
  }

  // Runs one request and the reading of its answer, remembered until it is finished.
  #exchange(attempt) {
    const done = attempt();
    this.#inflight.add(done);
    const forget = () => this.#inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  // Resolves when every exchange in flight has finished, or after CLOSE_SETTLE_MS if one hangs.
  #settled() {
    const all = Promise.allSettled([...this.#inflight]);
    return Promise.race([all, new Promise((resolve) => setTimeout(resolve, CLOSE_SETTLE_MS))]);
  }

  // Whether a Resource Timing entry is one of this socket's requests: its POST /poll attempts, then /poll/{id}.
  #isMine(entry) {
    if (entry.initiatorType !== 'fetch') return false;
    if (this.#sessionUrl && entry.name.startsWith(this.#sessionUrl) && /^(\?|$)/.test(entry.name.slice(this.#sessionUrl.length))) return true;
    return entry.name === this.#url && entry.startTime >= this.#openStartedAt && entry.startTime <= this.#openedAt;
  }

  #finish(code, reason, wasClean, errorMessage) {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#stop.abort();
    this.#traffic.stop();
    this.#outbox.length = 0;
    if (errorMessage !== undefined) this.dispatchEvent(events.error(errorMessage));
    this.dispatchEvent(events.close(code, reason, wasClean));
  }
}

// Classifies a non-success answer: 5xx and 429 are retried (after Retry-After); other answers end the socket.
async function failureOf(response) {
  if (response.status >= 500 || response.status === 429) {
    await drain(response).catch(() => {});
    return new Retryable(`HTTP ${response.status}`, retryAfterMs(response.headers.get('Retry-After')));
  }
  const detail = await problemDetail(response);
  const code = { 410: CloseCode.gone, 404: CloseCode.notFound, 413: CloseCode.tooBig }[response.status] ?? CloseCode.badRequest;
  return new Fatal(code, detail);
}

// Reads a body the socket does not need to its end (an empty one too): Chromium reports a response whose body was never
// read as canceled, in devtools and to the Resource Timing / CDP counts, though every byte of it arrived.
async function drain(response) {
  await response.arrayBuffer();
  return null;
}

async function problemDetail(response) {
  try {
    const problem = await response.json();
    if (typeof problem?.detail === 'string' && problem.detail !== '') return problem.detail;
  } catch { /* not ProblemDetails: fall back to the status line */ }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}
