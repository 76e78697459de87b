// HttpSession: the life of one server session of an HTTP transport (/poll, /sse; docs/protocol.md), shared by
// every SessionSocket: POST to open it (retried), every request tracked until it has finished,
// retries with backoff, and DELETE to end it once those requests have settled, so the server's figures are final then.
import { RetryEvent } from './socket.js';
import { backoffDelay, retryAfterMs, sleep } from './backoff.js';

/** Close codes the HTTP sockets report; 4000–4999 is the range RFC 6455 leaves to applications. */
export const CloseCode = Object.freeze({
  normal: 1000,
  abnormal: 1006,   // gave up after maxAttempts failures in a row, or closed before open (as WebSocket does)
  tooBig: 1009,     // a message over the server's limit (413): the code WebSocket closes with for the same message
  badRequest: 4400, // the server refused a request with another 4xx; reason = its ProblemDetails detail
  notFound: 4404,   // the session id is unknown to the server
  superseded: 4409, // Server-Sent Events: a newer stream of the same session took over this one
  gone: 4410,       // the session was closed or expired on the server; reason says why
});

/** Retry settings every HTTP socket takes (and may override per socket). */
export const retryDefaults = Object.freeze({
  baseDelayMs: 250,  // backoff: first retry waits up to this long…
  maxDelayMs: 5000,  // …doubling per failure up to this cap
  maxAttempts: 8,    // failed attempts in a row before the socket gives up with 1006
});

const CLOSE_SETTLE_MS = 5000; // close waits this long at most for the session's last requests after the DELETE

/** A failed attempt worth repeating unchanged: network error, 5xx, 429, or a body cut short. */
export class Retryable extends Error {
  constructor(reason, waitMs = 0) { super(reason); this.waitMs = waitMs; }
}

/** An answer that ends the socket with `code`; the message is the server's detail. */
export class Fatal extends Error {
  constructor(code, detail) { super(detail); this.code = code; }
}

export class HttpSession {
  #openUrl;
  #options;
  #onRetry;
  #subpaths;
  #initiatorTypes;
  #stop = new AbortController(); // aborts backoff waits; requests in flight are left to finish (see end)
  #inflight = new Set();         // exchanges (request and body) not yet finished
  #openStartedAt = performance.now();
  #openedAt = Infinity;
  /** The session's own URL (/poll/{id}, /sse/{id}); null until open. It holds the id, the session's credential. */
  url = null;
  /** The name of the session's figures in /api/stats; the id itself is never published. */
  statsKey = null;

  /**
   * @param {string} openUrl the endpoint a POST opens a session at, with its query (?echo=…&push=…)
   * @param {object} options retryDefaults' fields, plus
   * @param {(event: RetryEvent) => void} options.onRetry told before every retry
   * @param {string[]} [options.subpaths] paths under the session URL that are the session's too (e.g. '/ack')
   * @param {string[]} [options.initiatorTypes] Resource Timing initiator types of the session's requests
   */
  constructor(openUrl, { onRetry, subpaths = [], initiatorTypes = ['fetch'], ...options }) {
    this.#openUrl = openUrl;
    this.#options = { ...retryDefaults, ...options };
    this.#onRetry = onRetry;
    this.#subpaths = subpaths;
    this.#initiatorTypes = initiatorTypes;
  }

  /** Aborted once the socket stops: backoff and interval waits end at once. */
  get signal() { return this.#stop.signal; }

  stop() { this.#stop.abort(); }

  /** POSTs to the open endpoint until it answers 201 (retrying what is retryable); answers the 201's body. */
  async open() {
    const opened = await this.withRetry('open', async () => {
      const response = await fetch(this.#openUrl, { method: 'POST' });
      if (response.status !== 201) throw await failureOf(response);
      const body = await response.json();
      if (typeof body?.id !== 'string') {
        throw new Fatal(CloseCode.badRequest, `POST ${new URL(this.#openUrl).pathname} answered 201 without a session id.`);
      }
      return { body, location: response.headers.get('Location') };
    });
    const base = new URL(this.#openUrl);
    base.search = '';
    this.url = opened.location ? new URL(opened.location, base).href : `${base.href}/${encodeURIComponent(opened.body.id)}`;
    this.statsKey = opened.body.statsKey ?? null;
    this.#openedAt = performance.now();
    return opened.body;
  }

  /**
   * Ends the session: DELETE (tracked, keepalive so it outlives the page), then waits for every request of the
   * session to finish. Resolves on any answer (404/410 too: the session is gone); rejects when the DELETE failed.
   */
  async end() {
    await this.exchange(() => fetch(this.url, { method: 'DELETE', keepalive: true }).then(drain));
    await this.#settled();
  }

  /** DELETE without waiting, best effort: frees a session the socket no longer uses now instead of at its expiry. */
  discard() {
    if (this.url) fetch(this.url, { method: 'DELETE', keepalive: true }).catch(() => {});
  }

  /** `err` as the Fatal that ends the socket; a session the server still has is freed with discard(). */
  abandon(err) {
    const fatal = err instanceof Fatal ? err : new Fatal(CloseCode.abnormal, String(err?.message ?? err));
    if (fatal.code !== CloseCode.gone && fatal.code !== CloseCode.notFound && fatal.code !== CloseCode.superseded) this.discard();
    return fatal;
  }

  /** Repeats one exchange while it fails in a retryable way, announcing each wait; gives up after maxAttempts in a row. */
  async withRetry(operation, attempt) {
    const { signal } = this.#stop;
    for (let failures = 1; ; failures++) {
      let failure;
      try {
        return await this.exchange(attempt);
      } catch (err) {
        if (signal.aborted || err instanceof Fatal) throw err;
        failure = err instanceof Retryable ? err : new Retryable(err?.message || String(err)); // fetch: TypeError = network
      }
      if (failures >= this.#options.maxAttempts) {
        throw new Fatal(CloseCode.abnormal, `${operation} failed ${failures} times in a row (last: ${failure.message}).`);
      }
      const delayMs = Math.max(failure.waitMs, backoffDelay(failures, this.#options));
      this.#onRetry(new RetryEvent({ operation, attempt: failures, delayMs, reason: failure.message }));
      await sleep(delayMs, signal);
    }
  }

  /** Runs one request and the reading of its answer, remembered until it is finished. */
  exchange(attempt) {
    return this.track(attempt());
  }

  /** Remembers `done` (a request the socket did not start with fetch, e.g. an EventSource's stream) until it settles. */
  track(done) {
    this.#inflight.add(done);
    const forget = () => this.#inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Whether a Resource Timing entry is one of this session's requests: its POST attempts, then the session's URLs. */
  owns(entry) {
    if (!this.#initiatorTypes.includes(entry.initiatorType)) return false;
    if (this.url && entry.name.startsWith(this.url)) {
      const rest = entry.name.slice(this.url.length);
      const path = this.#subpaths.find((p) => rest.startsWith(p)) ?? '';
      if (/^(\?|$)/.test(rest.slice(path.length))) return true;
    }
    return entry.name === this.#openUrl && entry.startTime >= this.#openStartedAt && entry.startTime <= this.#openedAt;
  }

  // Resolves when every exchange in flight has finished, or after CLOSE_SETTLE_MS if one hangs.
  #settled() {
    const all = Promise.allSettled([...this.#inflight]);
    return Promise.race([all, new Promise((resolve) => setTimeout(resolve, CLOSE_SETTLE_MS))]);
  }
}

/** Classifies a non-success answer: 5xx and 429 are retried (after Retry-After); other answers end the socket. */
export async function failureOf(response) {
  if (response.status >= 500 || response.status === 429) {
    await drain(response).catch(() => {});
    return new Retryable(`HTTP ${response.status}`, retryAfterMs(response.headers.get('Retry-After')));
  }
  const detail = await problemDetail(response);
  const code = { 410: CloseCode.gone, 404: CloseCode.notFound, 413: CloseCode.tooBig }[response.status] ?? CloseCode.badRequest;
  return new Fatal(code, detail);
}

/**
 * Reads a body the socket does not need to its end (an empty one too): Chromium reports a response whose body was never
 * read as canceled, in devtools and to the Resource Timing / CDP counts, though every byte of it arrived.
 */
export async function drain(response) {
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
