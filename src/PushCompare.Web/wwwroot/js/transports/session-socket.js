// SessionSocket: one session of an HTTP transport (/poll, /sse; docs/protocol.md) behind the same surface as the
// browser's WebSocket. What those transports share is written here once: the socket's state, the session's open (POST)
// and end (DELETE), the Outbox that sends, close and the final events. How the session's messages come back is the
// job of a receiver (longpoll.js: a GET loop; sse.js: an EventSource), so a transport is a session plus a receiver.
import { SocketBase, events, closeDetail, CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';
import { ResourceTally } from './resource-traffic.js';
import { HttpSession, CloseCode, Fatal, retryDefaults } from './session.js';
import { Outbox } from './outbox.js';

export { CloseCode, Fatal };

const utf8 = new TextEncoder();

/**
 * How one HTTP transport receives. Every member is optional but start.
 * @typedef {object} Receiver
 * @property {string[]} [subpaths] paths under the session URL that are the session's too (e.g. '/ack')
 * @property {string[]} [initiatorTypes] Resource Timing initiator types of the session's requests
 * @property {(link: ReceiverLink, opened: object) => Promise<void>|void} start called once the session is open (with
 *   the 201's body); calls link.opened() when the socket is open, link.deliver() per message; a rejection ends the socket
 * @property {(url: URL) => void} [decorateSend] adds what it piggybacks to a message's POST (SSE's ack=)
 * @property {() => Promise<void>|void} [stop] closing has begun: what it returns is awaited before the DELETE
 * @property {() => void} [abort] the socket is done: let go of everything at once
 *
 * @typedef {object} ReceiverLink what a receiver may do with its socket
 * @property {HttpSession} session
 * @property {Outbox} outbox
 * @property {object} options the socket's options (retry settings included)
 * @property {number} state the socket's readyState
 * @property {() => void} opened the socket is open (again: a reconnect changes nothing)
 * @property {(text: string) => boolean} deliver hands a message to onmessage; false once closing has begun
 * @property {(err: Error) => void} fail ends the socket with the Fatal (or 1006 for anything else)
 * @property {(event: Event) => void} dispatch fires an event (e.g. retry) on the socket
 */

export class SessionSocket extends SocketBase {
  #url;
  #options;
  #receiver;
  #link;
  #state = CONNECTING;
  #receiving = false;       // whether the receiver was started (the session exists on the server)
  #session;
  #outbox;
  #traffic;                 // Resource Timing entries of this session's requests
  #received = { messages: 0, payload: 0 };

  /**
   * @param {string|URL} url the endpoint a POST opens the session at, with its query (?echo=…&push=…)
   * @param {Receiver} receiver
   * @param {{baseDelayMs?: number, maxDelayMs?: number, maxAttempts?: number}} [options] backoff and how many
   *   failures in a row end the socket
   */
  constructor(url, receiver, options = {}) {
    super();
    this.#options = { ...retryDefaults, ...options };
    this.#url = new URL(url, globalThis.location?.href).href;
    this.#receiver = receiver;
    this.#session = new HttpSession(this.#url, {
      ...this.#options,
      onRetry: (e) => this.dispatchEvent(e),
      subpaths: receiver.subpaths,
      initiatorTypes: receiver.initiatorTypes,
    });
    this.#outbox = new Outbox(this.#session, {
      messageUrl: (seq) => {
        const send = new URL(this.#session.url);
        send.searchParams.set('seq', String(seq));
        receiver.decorateSend?.(send);
        return send;
      },
      isOpen: () => this.#state === OPEN,
      run: (task) => this.#run(task),
    });
    this.#traffic = new ResourceTally((entry) => this.#session.owns(entry));
    const socket = this;
    this.#link = {
      session: this.#session,
      outbox: this.#outbox,
      options: this.#options,
      get state() { return socket.#state; },
      opened: () => this.#opened(),
      deliver: (text) => this.#deliver(text),
      fail: (err) => this.#fail(err),
      dispatch: (event) => this.dispatchEvent(event),
    };
    this.#run(this.#open());
  }

  get url() { return this.#url; }
  get readyState() { return this.#state; }
  /** UTF-8 bytes sent with send() that the server has not yet accepted. */
  get bufferedAmount() { return this.#outbox.bufferedAmount; }
  /** This socket's key in /api/stats: the session's stats key, not its id (null until the session is open). */
  get sessionKey() { return this.#session.statsKey; }

  /**
   * What the page itself saw: the Resource Timing entries of this session's requests and the messages it handled. An
   * entry appears when its request has ended (a held poll or an open stream only then). Resource Timing has no
   * request sizes, and its transferSize is the body plus a fixed 300 bytes, so header bytes stay invisible to scripts.
   */
  traffic() {
    return {
      source: 'resource-timing',
      requests: this.#traffic.requests,
      messagesSent: this.#outbox.sent.messages,
      messagesReceived: this.#received.messages,
      bytesSent: null,
      bytesReceived: this.#traffic.transferSize,
      payloadBytesReceived: this.#traffic.encodedBodySize,
    };
  }

  /** As WebSocket's: throws while connecting, refuses binary data (these transports carry text), drops once closing. */
  send(data) {
    const name = this.constructor.name;
    if (this.#state === CONNECTING) {
      throw new DOMException(`Failed to execute 'send' on '${name}': Still in CONNECTING state.`, 'InvalidStateError');
    }
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) {
      throw new TypeError(`${name} carries text messages only.`);
    }
    if (this.#state === OPEN) this.#outbox.send(String(data));
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
      if (this.#receiving) {
        this.#receiver.abort?.();
        this.#session.discard();
      }
      setTimeout(() => this.#finish(CloseCode.abnormal, '', false, 'The connection was closed before it was established.'));
      return;
    }
    // Requests still held are not aborted (that would tear their TCP connection down): the DELETE makes the server end
    // them. As a WebSocket's close event waits for the closing handshake, close fires once every request of the
    // session has finished, so the server's figures are final then.
    Promise.resolve(this.#receiver.stop?.())
      .then(() => this.#session.end())
      .then(
        () => this.#finish(code ?? CloseCode.normal, reason, true), // 404/410 too: the session is gone
        () => this.#finish(CloseCode.abnormal, '', false, 'DELETE failed: the server may keep the session until it expires.'));
  }

  async #open() {
    const opened = await this.#session.open();
    if (this.#state !== CONNECTING) { // close() won the race with the 201: free the session just made
      this.#session.discard();
      return;
    }
    this.#receiving = true;
    await this.#receiver.start(this.#link, opened);
  }

  #opened() {
    if (this.#state !== CONNECTING) return;
    this.#state = OPEN;
    this.dispatchEvent(events.open());
  }

  #deliver(text) {
    if (this.#state !== OPEN) return false; // as WebSocket: no message events once closing has begun
    this.#received.messages++;
    this.#received.payload += utf8.encode(text).length;
    this.dispatchEvent(events.message(text, new URL(this.#url).origin));
    return true;
  }

  // Runs a background task; a Fatal (or a bug) ends the socket unless close() already took over.
  #run(task) {
    task.catch((err) => this.#fail(err));
  }

  #fail(err) {
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    this.#receiver.abort?.();
    const fatal = this.#session.abandon(err); // frees the session on the server unless it is gone already
    const reason = fatal.code === CloseCode.abnormal ? '' : fatal.message; // as WebSocket: 1006 carries no reason
    this.#finish(fatal.code, reason, false, fatal.message);
  }

  #finish(code, reason, wasClean, errorMessage) {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#receiver.abort?.(); // e.g. a stream the server never ended within the settle time
    this.#session.stop();
    this.#traffic.stop();
    this.#outbox.clear();
    if (errorMessage !== undefined) this.dispatchEvent(events.error(errorMessage));
    this.dispatchEvent(events.close(code, reason, wasClean));
  }
}

// What ended a session that did not end with its DELETE, by the close code the socket reported.
const endings = {
  [CloseCode.abnormal]: 'the connection failed',
  [CloseCode.tooBig]: 'a message was over the server’s limit',
  [CloseCode.badRequest]: 'the server refused a request',
  [CloseCode.notFound]: 'the server does not know the session',
  [CloseCode.superseded]: 'a newer stream of the session took over',
  [CloseCode.gone]: 'the server ended the session',
};

/**
 * The log's words for a session socket's close: an HTTP session has no closing handshake, it ends with a DELETE (clean)
 * or because a request failed. The WebSocket-style code stays in the detail.
 * @param {string} path the endpoint, e.g. '/poll'
 */
export function describeSessionClose(path) {
  return (e) => (e.wasClean
    ? `session closed — DELETE ${path}/{id} ended it (${closeDetail(e)})`
    : `session ended — ${endings[e.code] ?? 'it failed'} (${closeDetail(e)})`);
}

/** Throws as WebSocket.close does for a code or reason it would refuse. */
export function checkCloseArguments(code, reason) {
  if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
    throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
  }
  if (utf8.encode(reason).length > 123) {
    throw new DOMException('The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError');
  }
}
