// Outbox: the sequenced, in-order sender of the HTTP transports (POST /poll/{id}?seq=N, POST /sse/{id}?seq=N&ack=M).
// One request at a time, oldest first; a failed one is retried with the same seq, so the server drops a duplicate
// (docs/protocol.md). Bodiless requests (SSE's acknowledgements) queue in the same line, so nothing overtakes a send.
import { failureOf, drain } from './session.js';

const utf8 = new TextEncoder();

export class Outbox {
  #session;
  #messageUrl;
  #isOpen;
  #run;
  #nextSeq = 1;
  #queue = [];   // { seq, text, bytes } messages and { operation, url } requests, oldest first; only the head is in flight
  #sending = false;
  #buffered = 0;
  /** Messages the server accepted (202), and their UTF-8 bytes. */
  sent = { messages: 0, payload: 0 };

  /**
   * @param {import('./session.js').HttpSession} session whose retries and request tracking the sends use
   * @param {object} hooks
   * @param {(seq: number) => URL} hooks.messageUrl the URL of a message's POST, built again for every attempt
   * @param {() => boolean} hooks.isOpen whether the socket still sends (sending stops once closing has begun)
   * @param {(task: Promise) => void} hooks.run runs the sending task; its failure (a Fatal) ends the socket
   */
  constructor(session, { messageUrl, isOpen, run }) {
    this.#session = session;
    this.#messageUrl = messageUrl;
    this.#isOpen = isOpen;
    this.#run = run;
  }

  /** UTF-8 bytes of queued messages the server has not yet accepted. */
  get bufferedAmount() { return this.#buffered; }

  /** Queues a text message under the next sequence number. */
  send(text) {
    const bytes = utf8.encode(text).length;
    this.#queue.push({ seq: this.#nextSeq++, text, bytes });
    this.#buffered += bytes;
    this.#start();
  }

  /**
   * Queues a bodiless POST behind the messages already queued. `url` is asked when its turn comes (and at each
   * retry); null means it is no longer needed (a send in between carried the same news).
   */
  post(operation, url) {
    this.#queue.push({ operation, url });
    this.#start();
  }

  /** Forgets what was not sent (the socket closed: as WebSocket, queued data is discarded). */
  clear() {
    this.#queue.length = 0;
  }

  #start() {
    if (!this.#sending) this.#run(this.#drain());
  }

  async #drain() {
    this.#sending = true;
    try {
      while (this.#isOpen() && this.#queue.length > 0) {
        const item = this.#queue[0];
        if (item.text !== undefined) {
          await this.#session.withRetry('send', () => this.#postOnce(this.#messageUrl(item.seq), item.text));
          this.#buffered -= item.bytes;
          this.sent.messages++;
          this.sent.payload += item.bytes;
        } else {
          await this.#session.withRetry(item.operation, async () => {
            const url = item.url();
            if (url) await this.#postOnce(url);
          });
        }
        this.#queue.shift();
      }
    } finally {
      this.#sending = false;
    }
  }

  async #postOnce(url, text) {
    const response = await fetch(url, text === undefined ? { method: 'POST' } : {
      method: 'POST',
      body: text,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    if (!response.ok) throw await failureOf(response);
    await drain(response);
  }
}
