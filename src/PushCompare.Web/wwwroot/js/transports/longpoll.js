// LongPollSocket: the /poll protocol (docs/protocol.md) behind the same surface as the browser's WebSocket. The
// session, sending and closing are SessionSocket's; what is long polling's own is how replies come back: a GET loop,
// each poll acknowledging the last batch with its cursor.
import { SessionSocket, CloseCode, Fatal } from './session-socket.js';
import { OPEN } from './socket.js';
import { sleep } from './backoff.js';
import { failureOf, drain } from './session.js';

export { CloseCode };

export class LongPollSocket extends SessionSocket {
  /**
   * @param {string|URL} url the /poll endpoint (may carry ?echo=exact)
   * @param {{wait?: number, intervalMs?: number, baseDelayMs?: number, maxDelayMs?: number, maxAttempts?: number}} [options]
   *   wait: when set, POST /poll?wait=N sets the session's hold time (wait=0: polls answer at once, i.e. short polling);
   *   intervalMs: from the start of one poll to the start of the next (0 polls again at once, which is long polling);
   *   the rest: backoff and how many failures in a row end the socket
   */
  constructor(url, { wait, intervalMs = 0, ...options } = {}) {
    const open = new URL(url, globalThis.location?.href);
    if (wait !== undefined) open.searchParams.set('wait', String(wait));
    super(open, new PollReceiver(intervalMs, wait === 0), options);
  }
}

/** Receives with one GET at a time: 200 carries a batch, 204 says nothing came within the hold time. */
class PollReceiver {
  #intervalMs;
  #answersAtOnce;
  #cursor = 0;
  #polling = null; // the poll in flight

  constructor(intervalMs, answersAtOnce) {
    this.#intervalMs = intervalMs;
    this.#answersAtOnce = answersAtOnce;
  }

  // The socket is open as soon as the session is: the first poll is already a read.
  start(link) {
    link.opened();
    return this.#pollLoop(link);
  }

  async #pollLoop(link) {
    const { session } = link;
    while (link.state === OPEN) {
      const started = performance.now();
      this.#polling = session.withRetry('poll', () => this.#pollOnce(session));
      const batch = await this.#polling;
      if (batch) {
        for (const text of batch.messages) if (!link.deliver(text)) return;
        this.#cursor = batch.cursor; // acknowledges this batch on the next poll
      }
      const rest = this.#intervalMs - (performance.now() - started);
      if (rest > 0 && link.state === OPEN) await sleep(rest, session.signal);
    }
  }

  // A poll that answers at once is let finish before the DELETE, so it is never refused with 410; a held one is ended
  // by the DELETE itself (204: docs/protocol.md).
  stop() {
    if (this.#answersAtOnce && this.#polling) return this.#polling.then(() => {}, () => {});
    return undefined;
  }

  // One GET: the batch on 200, null on 204 (timed out or superseded; poll again). The session's hold time applies.
  async #pollOnce(session) {
    const url = new URL(session.url);
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
}
