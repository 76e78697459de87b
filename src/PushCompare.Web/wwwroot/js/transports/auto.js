// AutoSocket: one session carried by whichever transport works (docs/protocol.md, "The auto client"). It tries an
// ordered list (WebSocket → SSE → long polling), decides from evidence within a timeout derived from the measured round
// trip, falls back, probes the better transport later and moves the session to it, and resumes after a drop — always on
// the same session: messages are numbered (a resend is dropped by its number) and sends carry a `seq` the server accepts
// once, so a change of transport loses and duplicates nothing in either direction.
import { SocketBase, RetryEvent, events, closeDetail, CONNECTING, OPEN, CLOSING, CLOSED } from './socket.js';
import { CloseCode, Fatal, failureOf, drain } from './session.js';
import { backoffDelay, sleep } from './backoff.js';
import { ResourceTally } from './resource-traffic.js';
import { checkCloseArguments } from './session-socket.js';

export const DEFAULT_ORDER = Object.freeze(['websocket', 'sse', 'longpoll']);

const LABELS = { websocket: 'WebSocket', sse: 'Server-Sent Events', longpoll: 'Long polling' };

/** Timing and retry settings; every one may be overridden per socket (tests shorten them). */
export const autoDefaults = Object.freeze({
  unmeasuredTimeoutMs: 2500, // the open timeout before any round trip was measured
  minTimeoutMs: 1000,
  maxTimeoutMs: 10_000,
  upgradeAfterMs: 30_000,    // first background probe of a better transport after settling on a worse one…
  maxUpgradeAfterMs: 300_000, // …doubling after each failed probe up to this
  baseDelayMs: 250,          // resume backoff (backoff.js: full jitter) between rounds over the list…
  maxDelayMs: 5000,
  maxRounds: 8,              // …and how many rounds in a row may fail before the socket closes with 1006
  ackEvery: 50,              // WebSocket: a{n} after this many messages, or ackDelayMs after the first unacknowledged
  ackDelayMs: 100,
  sseAckEvery: 100,          // SSE: POST …/ack after this many events with no send to carry ack=
});

/**
 * The open timeout for a measured round trip, as SockJS derives it: 4·rtt above 100 ms, else 300 ms + rtt, kept
 * within [min, max]; before any measurement, `unmeasuredTimeoutMs`.
 */
export function openTimeoutMs(rttMs, { unmeasuredTimeoutMs, minTimeoutMs, maxTimeoutMs } = autoDefaults) {
  if (rttMs == null) return unmeasuredTimeoutMs;
  const rto = rttMs > 100 ? 4 * rttMs : 300 + rttMs;
  return Math.round(Math.min(maxTimeoutMs, Math.max(minTimeoutMs, rto)));
}

/** The sessionStorage key that remembers the transport that last worked for an origin. */
export const storageKey = (origin) => `pushcompare.auto.${origin}`;

/** Fired whenever the session's carrier is chosen or changes. */
export class TransportEvent extends Event {
  constructor({ transport, previous, reason, kind }) {
    super('transport');
    this.transport = transport; // the transport id now carrying the session
    this.previous = previous;   // the one before (null on the first pick)
    this.reason = reason;       // in plain words: what failed and how, or why it changed
    this.kind = kind;           // 'initial' | 'fallback' | 'upgrade' | 'resume' | 'new-session'
  }
}

/** The log's words for a transport event: "WebSocket did not open within 2.5 s — …; using Server-Sent Events". */
export function describeTransport({ transport, reason }) {
  return `${reason}; using ${LABELS[transport] ?? transport}`;
}

/** The log's words for the socket's close. */
export function describeAutoClose(e) {
  return e.wasClean ? `closed — ${closeDetail(e)}` : `ended — ${closeDetail(e)}`;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Why an attempt failed; `gone` means the session itself is gone (404/410) and a new one must be opened. */
class Evidence extends Error {
  constructor(message, { gone = false, fatal = null } = {}) {
    super(message);
    this.gone = gone;
    this.fatal = fatal; // a Fatal that ends the socket (e.g. a message over the server's limit)
  }
}

export class AutoSocket extends SocketBase {
  #base;
  #order;
  #connect;   // the session's connect options (push, topic, echo), used when one is opened
  #options;
  #storage;
  #state = CONNECTING;
  #session = null;      // { id, statsKey }
  #carrier = null;      // the transport carrying the session now
  #rttMs = null;
  #lastProcessed = 0;   // the number of the last message handed to onmessage
  #nextSeq = 1;
  #unconfirmed = [];    // { seq, text, bytes } sent but not yet accepted, oldest first
  #stop = new AbortController();
  #probeTimer = null;
  #probeDelayMs;
  #probing = null;      // the carrier being probed, if any
  #dropWhileProbing = null;
  #tally;
  #prefixes = new Set(); // URL prefixes of this socket's HTTP requests (for Resource Timing)
  #counts = { attaches: 0, sent: 0, received: 0, duplicates: 0, payload: 0 };

  /**
   * @param {string} base the app's address (the page's)
   * @param {{order?: string[], push?: number, topic?: string, echo?: string, storage?: Storage|null} & Partial<typeof autoDefaults>} [options]
   */
  constructor(base, { order = DEFAULT_ORDER, push, topic, echo, storage = globalThis.sessionStorage ?? null, ...options } = {}) {
    super();
    const unknown = order.filter((t) => !LABELS[t]);
    if (order.length === 0 || unknown.length) throw new RangeError(`auto orders ${Object.keys(LABELS).join(', ')}; not '${unknown.join(', ')}'.`);
    this.#base = new URL('.', base);
    this.#order = [...order];
    this.#connect = { push, topic, echo };
    this.#options = { ...autoDefaults, ...options };
    this.#storage = storage;
    this.#probeDelayMs = this.#options.upgradeAfterMs;
    this.#tally = new ResourceTally((entry) => (entry.initiatorType === 'fetch' || entry.initiatorType === 'other')
      && [...this.#prefixes].some((p) => entry.name.startsWith(p)));
    const remembered = this.#order.indexOf(this.#remembered());
    this.#establish({ from: Math.max(0, remembered), kind: 'initial', previous: null,
      why: remembered > 0 ? [`${LABELS[this.#order[remembered]]} worked last on this origin (remembered for the tab)`] : [] });
  }

  get url() { return this.#base.href; }
  get readyState() { return this.#state; }
  /** The transport carrying the session now ('websocket', 'sse' or 'longpoll'), or null before the first. */
  get transport() { return this.#carrier?.id ?? null; }
  /** The open timeout derived from the last measured round trip. */
  get timeoutMs() { return openTimeoutMs(this.#rttMs, this.#options); }
  get bufferedAmount() { return this.#unconfirmed.reduce((sum, m) => sum + m.bytes, 0); }
  /** The session's key in /api/stats (its figures by transport are its `parts`). */
  get sessionKey() { return this.#session?.statsKey ?? null; }

  send(data) {
    if (this.#state === CONNECTING) {
      throw new DOMException("Failed to execute 'send' on 'AutoSocket': Still in CONNECTING state.", 'InvalidStateError');
    }
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) throw new TypeError('AutoSocket carries text messages only.');
    if (this.#state !== OPEN) return;
    const text = String(data);
    const message = { seq: this.#nextSeq++, text, bytes: utf8.encode(text).length };
    this.#unconfirmed.push(message);
    this.#counts.sent++;
    this.#carrier?.send(message);
  }

  close(code, reason = '') {
    checkCloseArguments(code, reason);
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    const wasConnecting = this.#state === CONNECTING;
    this.#state = CLOSING;
    this.#halt();
    const carrier = this.#carrier;
    this.#carrier = null;
    if (wasConnecting) {
      setTimeout(() => this.#finish(CloseCode.abnormal, '', false, 'The connection was closed before it was established.'));
      return;
    }
    if (!carrier) { // between two carriers (resuming): nothing is open to end; the session expires on the server
      setTimeout(() => this.#finish(code ?? CloseCode.normal, reason, true));
      return;
    }
    carrier.end(code ?? 1000, reason).then(
      () => this.#finish(code ?? CloseCode.normal, reason, true),
      () => this.#finish(CloseCode.abnormal, '', false, 'The session could not be ended: the server keeps it until it expires.'));
  }

  /** What the page itself saw: WebSocket attaches plus the Resource Timing entries of the session's HTTP requests. */
  traffic() {
    return {
      source: 'auto',
      requests: this.#counts.attaches + this.#tally.requests,
      messagesSent: this.#counts.sent,
      messagesReceived: this.#counts.received,
      bytesSent: null,
      bytesReceived: null,
      payloadBytesReceived: this.#counts.payload,
      duplicatesDropped: this.#counts.duplicates,
    };
  }

  // ---- choosing a carrier ----

  // Walks the order from `from` (wrapping round), one attempt each, until one is proven; a failed round waits with
  // backoff and starts again at the top. A gone session starts a new one (kind 'new-session').
  async #establish({ from, kind, previous, why }) {
    const reasons = [...why];
    const signal = this.#stop.signal;
    try {
      for (let round = 1; ; round++) {
        for (let k = 0; k < this.#order.length; k++) {
          const id = this.#order[(from + k) % this.#order.length];
          let carrier;
          try {
            carrier = await this.#attempt(id);
          } catch (err) {
            if (signal.aborted) return;
            if (!(err instanceof Evidence)) throw err;
            if (err.fatal) throw err.fatal;
            if (err.gone) {
              reasons.push(`${err.message}; opening a new session`);
              this.#newSession();
              kind = 'new-session';
              k = -1; // the walk starts again, on a new session
              continue;
            }
            reasons.push(err.message);
            continue;
          }
          if (signal.aborted) { carrier.abandon(); return; }
          const effective = kind === 'initial' && reasons.length > (why.length ? 1 : 0) ? 'fallback' : kind;
          this.#adopt(carrier, { kind: effective, previous, reason: reasons.join('; ') || this.#plainReason(effective, id) });
          return;
        }
        if (round >= this.#options.maxRounds) throw new Fatal(CloseCode.abnormal, `no transport worked ${round} times in a row (last: ${reasons.at(-1)}).`);
        from = 0;
        const delayMs = backoffDelay(round, this.#options);
        this.dispatchEvent(new RetryEvent({ operation: 'open', attempt: round, delayMs, reason: reasons.at(-1) }));
        await sleep(delayMs, signal);
      }
    } catch (err) {
      if (!signal.aborted) this.#fail(err);
    }
  }

  #plainReason(kind, id) {
    if (kind === 'initial') return `${LABELS[id]} is first in the order`;
    return `${LABELS[id]} carries the session`;
  }

  #adopt(carrier, { kind, previous, reason }) {
    const old = this.#carrier;
    this.#carrier = carrier;
    if (old && old !== carrier) old.abandon();
    this.#remember(carrier.id);
    carrier.live();
    // Sends resume where the server's count is: what it accepted is confirmed, the rest go out again, in order.
    for (const message of this.#unconfirmed) carrier.send(message);
    if (this.#state === CONNECTING) {
      this.#state = OPEN;
      this.dispatchEvent(events.open());
    }
    this.dispatchEvent(new TransportEvent({ transport: carrier.id, previous, reason, kind }));
    this.#scheduleProbe();
  }

  // The carrier stopped (a drop nobody asked for): resume on the same transport first, then down the list.
  #dropped(carrier, evidence) {
    if (carrier !== this.#carrier || this.#state !== OPEN) return;
    if (this.#probing) { // our own probe may have taken the session over: decide when it is settled
      this.#dropWhileProbing = evidence;
      return;
    }
    this.#carrier = null;
    carrier.abandon();
    if (evidence.fatal) { this.#fail(evidence.fatal); return; }
    if (evidence.gone) this.#newSession();
    clearTimeout(this.#probeTimer);
    const from = this.#order.indexOf(carrier.id);
    const kind = evidence.gone ? 'new-session' : 'resume';
    const why = [evidence.gone ? `${evidence.message}; opening a new session` : evidence.message];
    (async () => {
      // A short jittered pause first, so a server that just went away is not hit by every client at once.
      try { await sleep(backoffDelay(1, this.#options), this.#stop.signal); } catch { return; }
      await this.#establish({ from, kind, previous: carrier.id, why });
    })();
  }

  // ---- the upgrade probe ----

  #scheduleProbe() {
    clearTimeout(this.#probeTimer);
    if (!this.#carrier || this.#order.indexOf(this.#carrier.id) === 0) return; // on the best: no probe traffic at all
    this.#probeTimer = setTimeout(() => this.#probe(), this.#probeDelayMs);
  }

  /** Probes the better transports now instead of waiting for the timer (the page's tests, and a person impatient). */
  probeNow() {
    if (this.#state === OPEN && !this.#probing) {
      clearTimeout(this.#probeTimer);
      return this.#probe();
    }
    return Promise.resolve();
  }

  // Opens each better transport on the same session, best first: its first frame or event proves it, and it takes the
  // session over from the current reader (the server ends that one). The current carrier stops reading meanwhile.
  async #probe() {
    const current = this.#carrier;
    if (!current || this.#state !== OPEN) return;
    const better = this.#order.slice(0, this.#order.indexOf(current.id));
    const failed = [];
    for (const id of better) {
      current.pause();
      this.#probing = id;
      this.#dropWhileProbing = null;
      let carrier = null;
      try {
        carrier = await this.#attempt(id);
      } catch (err) {
        failed.push(err.message);
      }
      this.#probing = null;
      if (this.#state !== OPEN || this.#carrier !== current) { carrier?.abandon(); return; }
      if (carrier) {
        this.#probeDelayMs = this.#options.upgradeAfterMs;
        this.#adopt(carrier, { kind: 'upgrade', previous: current.id, reason: `${LABELS[id]} works (probed beside ${LABELS[current.id]})` });
        return;
      }
      const drop = this.#dropWhileProbing;
      if (drop) { this.#dropped(current, drop); return; }
      current.resume();
    }
    this.#probeDelayMs = Math.min(this.#options.maxUpgradeAfterMs, this.#probeDelayMs * 2);
    this.#scheduleProbe();
  }

  // ---- one attempt per transport ----

  async #attempt(id) {
    const hooks = {
      deliver: (n, text) => this.#deliver(n, text),
      accepted: (seq) => this.#accepted(seq),
      dropped: (carrier, evidence) => this.#dropped(carrier, evidence),
      lastProcessed: () => this.#lastProcessed,
      measured: (ms) => { this.#rttMs = ms; },
      claim: (prefix) => this.#prefixes.add(prefix),
      options: this.#options,
      signal: this.#stop.signal,
    };
    const timeoutMs = this.timeoutMs;
    if (id === 'websocket') {
      this.#counts.attaches++;
      const carrier = await attachWebSocket(this.#socketUrl(), timeoutMs, hooks);
      this.#opened(carrier.opened);
      return carrier;
    }
    if (!this.#session) this.#opened(await this.#openOver(id, hooks));
    else await checkSession(this.#session, id, this.#base, this.#lastProcessed, hooks);
    return id === 'sse' ? attachStream(this.#session, this.#base, this.timeoutMs, hooks) : attachPolls(this.#session, this.#base, hooks);
  }

  #socketUrl() {
    const url = new URL('ws', this.#base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.#session) {
      url.searchParams.set('session', this.#session.id);
      url.searchParams.set('cursor', String(this.#lastProcessed));
    } else {
      url.searchParams.set('session', 'new');
      setOptions(url, this.#connect);
    }
    return url.href;
  }

  // POST /sse or /poll opens the session; its round trip is the first measurement.
  async #openOver(id, hooks) {
    const path = id === 'sse' ? 'sse' : 'poll';
    const url = new URL(path, this.#base);
    setOptions(url, this.#connect);
    hooks.claim(url.href);
    const started = performance.now();
    let response;
    try {
      response = await fetch(url, { method: 'POST', signal: hooks.signal });
    } catch (err) {
      throw new Evidence(`POST /${path} failed (${err.message})`);
    }
    if (response.status !== 201) {
      const failure = await failureOf(response);
      throw failure instanceof Fatal && failure.code !== CloseCode.gone ? new Evidence(`POST /${path}: ${failure.message}`, { fatal: failure })
        : new Evidence(`POST /${path} answered ${response.status}`);
    }
    hooks.measured(performance.now() - started);
    return response.json();
  }

  #opened(body) {
    if (this.#session?.id === body.id) return;
    this.#session = { id: body.id, statsKey: body.statsKey ?? null };
    this.#prefixes.add(new URL(`sse/${body.id}`, this.#base).href);
    this.#prefixes.add(new URL(`poll/${body.id}`, this.#base).href);
  }

  #newSession() {
    // Numbers start again in a new session: what was not confirmed is sent again there, renumbered from 1.
    this.#session = null;
    this.#lastProcessed = 0;
    this.#nextSeq = 1;
    for (const message of this.#unconfirmed) message.seq = this.#nextSeq++;
  }

  // ---- what every carrier reports ----

  // Drops what was processed already (a resend after a switch or a retry); true when the message was new.
  #deliver(n, text) {
    if (this.#state !== OPEN) return false;
    if (n <= this.#lastProcessed) {
      this.#counts.duplicates++;
      return false;
    }
    this.#lastProcessed = n;
    this.#counts.received++;
    this.#counts.payload += utf8.encode(text).length;
    this.dispatchEvent(events.message(text, this.#base.origin));
    return true;
  }

  // The server accepted every send up to `seq` (each is answered in order; a repeat is answered again).
  #accepted(seq) {
    while (this.#unconfirmed.length && this.#unconfirmed[0].seq <= seq) this.#unconfirmed.shift();
  }

  #remembered() {
    try { return this.#storage?.getItem(storageKey(this.#base.origin)) ?? null; } catch { return null; }
  }

  #remember(id) {
    try { this.#storage?.setItem(storageKey(this.#base.origin), id); } catch { /* storage full or denied: nothing to keep */ }
  }

  #halt() {
    this.#stop.abort();
    clearTimeout(this.#probeTimer);
  }

  #fail(err) {
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    this.#state = CLOSING;
    this.#halt();
    this.#carrier?.abandon();
    this.#carrier = null;
    const fatal = err instanceof Fatal ? err : new Fatal(CloseCode.abnormal, String(err?.message ?? err));
    this.#finish(fatal.code, fatal.code === CloseCode.abnormal ? '' : fatal.message, false, fatal.message);
  }

  #finish(code, reason, wasClean, errorMessage) {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#tally.stop();
    if (errorMessage) this.dispatchEvent(events.error(errorMessage));
    this.dispatchEvent(events.close(code, reason, wasClean));
  }
}

const utf8 = new TextEncoder();

function setOptions(url, { push, topic, echo }) {
  for (const [name, value] of Object.entries({ echo, push, topic })) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
}

// An HTTP request of a carrier: its status decides — 404/410 the session is gone, 413 a message too large (ends the
// socket), anything else (a network error, 5xx) a drop the socket resumes from.
async function httpEvidence(what, response) {
  const failure = await failureOf(response);
  if (failure instanceof Fatal && (failure.code === CloseCode.gone || failure.code === CloseCode.notFound)) {
    return new Evidence(`${what} answered ${response.status}: ${failure.message}`, { gone: true });
  }
  if (failure instanceof Fatal) return new Evidence(`${what}: ${failure.message}`, { fatal: failure });
  return new Evidence(`${what} answered ${response.status}`);
}

// Before a stream or a poll takes the session over: is it still there? POST /sse/{id}/ack acknowledges what was
// processed and answers 410/404 for a session that is gone (which EventSource could never tell).
async function checkSession(session, id, base, lastProcessed, hooks) {
  if (id !== 'sse') return; // a poll says it itself (410/404)
  const url = new URL(`sse/${session.id}/ack`, base);
  url.searchParams.set('lastEventId', String(lastProcessed));
  const started = performance.now();
  let response;
  try {
    response = await fetch(url, { method: 'POST', signal: hooks.signal });
  } catch (err) {
    throw new Evidence(`POST /sse/{id}/ack failed (${err.message})`);
  }
  if (!response.ok) throw await httpEvidence('POST /sse/{id}/ack', response);
  await drain(response);
  hooks.measured(performance.now() - started);
}

// ---- WebSocket: GET /ws?session=…&cursor=N, frames o / m / k / s / a ----

function attachWebSocket(url, timeoutMs, hooks) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const ws = new WebSocket(url);
    let opened = false;
    let acked = 0;
    let ackTimer = null;
    let ended = null; // resolves the carrier's end()
    const fail = (message) => { clearTimeout(timer); ws.onclose = ws.onmessage = ws.onerror = null; ws.close(); reject(new Evidence(message)); };
    const timer = setTimeout(() => fail(opened
      ? `WebSocket opened but carried nothing within ${seconds(timeoutMs)} — a proxy may be holding it`
      : `WebSocket did not open within ${seconds(timeoutMs)} — a proxy may be blocking it`), timeoutMs);

    const ack = () => {
      clearTimeout(ackTimer);
      ackTimer = null;
      const n = hooks.lastProcessed();
      if (n > acked && ws.readyState === WebSocket.OPEN) { acked = n; ws.send(`a${n}`); }
    };
    const carrier = {
      id: 'websocket',
      opened: null,
      live() {},
      send(message) { if (ws.readyState === WebSocket.OPEN) ws.send(`s${message.seq} ${message.text}`); },
      pause() {},
      resume() {},
      abandon() { clearTimeout(ackTimer); ws.onclose = ws.onmessage = null; if (ws.readyState < WebSocket.CLOSING) ws.close(1000, 'moving to another transport'); },
      end(code, reason) {
        ack();
        return new Promise((done) => { ended = done; ws.close(code, reason); });
      },
    };
    ws.onopen = () => { opened = true; };
    ws.onerror = () => {};
    ws.onmessage = (e) => {
      const frame = String(e.data);
      const type = frame[0];
      if (type === 'o') {
        const body = JSON.parse(frame.slice(1));
        clearTimeout(timer);
        hooks.measured(performance.now() - started);
        carrier.opened = body;
        hooks.accepted(body.expectedSeq - 1);
        acked = body.acked;
        resolve(carrier);
      } else if (type === 'm') {
        const space = frame.indexOf(' ');
        if (hooks.deliver(Number(frame.slice(1, space)), frame.slice(space + 1))) {
          if (hooks.lastProcessed() - acked >= hooks.options.ackEvery) ack();
          else ackTimer ??= setTimeout(ack, hooks.options.ackDelayMs);
        }
      } else if (type === 'k') {
        hooks.accepted(Number(frame.slice(1)));
      }
    };
    ws.onclose = (e) => {
      clearTimeout(timer);
      clearTimeout(ackTimer);
      if (ended) { ended(); return; }
      const what = `the WebSocket closed (${closeDetail(e)})`;
      if (!carrier.opened) { reject(new Evidence(opened ? `WebSocket closed before it carried anything (code ${e.code})` : `WebSocket was refused or reset before it opened (code ${e.code})`)); return; }
      const evidence = e.code === 4410 ? new Evidence(`the session ended (${e.reason})`, { gone: true })
        : e.code === 1009 ? new Evidence(what, { fatal: new Fatal(CloseCode.tooBig, e.reason) })
          : e.code === 4400 || e.code === 4409 || e.code === 1003 ? new Evidence(what, { fatal: new Fatal(CloseCode.badRequest, e.reason) })
            : new Evidence(what);
      hooks.dropped(carrier, evidence);
    };
  });
}

// ---- HTTP carriers: sends as POST …/{id}?seq=N one at a time, oldest first ----

function httpSender(session, base, path, hooks, { decorate = () => {}, idle = () => null } = {}) {
  const queue = [];
  let running = false;
  let stopped = false;
  let onDrop = () => {};
  async function run() {
    running = true;
    try {
      while (!stopped) {
        const message = queue[0];
        const url = message ? new URL(`${path}/${session.id}`, base) : idle();
        if (!url) break;
        if (message) { url.searchParams.set('seq', String(message.seq)); decorate(url); }
        let response;
        try {
          response = await fetch(url, message
            ? { method: 'POST', body: message.text, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }
            : { method: 'POST' });
        } catch (err) {
          if (!stopped) onDrop(new Evidence(`POST /${path}/{id} failed (${err.message})`));
          return;
        }
        if (!response.ok) { if (!stopped) onDrop(await httpEvidence(`POST /${path}/{id}`, response)); return; }
        await drain(response);
        if (message) { queue.shift(); hooks.accepted(message.seq); }
      }
    } finally {
      running = false;
    }
  }
  return {
    onDrop(handler) { onDrop = handler; },
    send(message) { queue.push(message); if (!running) run(); },
    poke() { if (!running) run(); },
    stop() { stopped = true; },
  };
}

// ---- Server-Sent Events: EventSource on GET /sse/{id}; its first event (a heartbeat, sent at once) proves it ----

function attachStream(session, base, timeoutMs, hooks) {
  return new Promise((resolve, reject) => {
    let acked = hooks.lastProcessed();
    const sender = httpSender(session, base, 'sse', hooks, {
      decorate(url) { const n = hooks.lastProcessed(); if (n > acked) { url.searchParams.set('ack', String(n)); acked = n; } },
      idle() {
        const n = hooks.lastProcessed();
        if (n - acked < hooks.options.sseAckEvery) return null;
        acked = n;
        const url = new URL(`sse/${session.id}/ack`, base);
        url.searchParams.set('lastEventId', String(n));
        return url;
      },
    });
    const source = new EventSource(new URL(`sse/${session.id}`, base));
    let proven = false;
    const timer = setTimeout(() => { source.close(); sender.stop(); reject(new Evidence(`Server-Sent Events delivered nothing within ${seconds(timeoutMs)} — a proxy may be buffering the stream`)); }, timeoutMs);
    const carrier = {
      id: 'sse',
      live() {},
      send(message) { sender.send(message); },
      pause() {}, // a stream cannot stop reading; the probe's reader takes the session over from it
      resume() {},
      abandon() { clearTimeout(timer); source.close(); sender.stop(); },
      end() { carrier.abandon(); return endSession(session, base, 'sse'); },
    };
    const drop = (evidence) => { carrier.abandon(); hooks.dropped(carrier, evidence); };
    sender.onDrop(drop);
    const first = () => {
      if (proven) return;
      proven = true;
      clearTimeout(timer);
      resolve(carrier);
    };
    source.addEventListener('heartbeat', first);
    source.onmessage = (e) => {
      first();
      if (hooks.deliver(Number(e.lastEventId), e.data)) sender.poke();
    };
    // Superseded during the socket's own probe is expected: the socket decides once the probe is settled.
    source.addEventListener('superseded', () => drop(new Evidence('the stream was taken over by another reader')));
    source.onerror = () => {
      if (!proven) { clearTimeout(timer); source.close(); sender.stop(); reject(new Evidence('Server-Sent Events failed before its first event')); return; }
      drop(new Evidence('the Server-Sent Events stream ended'));
    };
  });
}

// ---- Long polling: GET /poll/{id}?cursor=N; the first asks with wait=0 and proves the transport at once ----

function attachPolls(session, base, hooks) {
  const sender = httpSender(session, base, 'poll', hooks);
  let paused = false;
  let stopped = false;
  let wake = null;
  const carrier = {
    id: 'longpoll',
    live() { loop(); },
    send(message) { sender.send(message); },
    pause() { paused = true; },
    resume() { paused = false; wake?.(); },
    abandon() { stopped = true; sender.stop(); wake?.(); },
    end() { carrier.abandon(); return endSession(session, base, 'poll'); },
  };
  const drop = (evidence) => { if (stopped) return; carrier.abandon(); hooks.dropped(carrier, evidence); };
  sender.onDrop(drop);

  async function poll(wait) {
    const url = new URL(`poll/${session.id}`, base);
    url.searchParams.set('cursor', String(hooks.lastProcessed()));
    if (wait !== undefined) url.searchParams.set('wait', String(wait));
    const response = await fetch(url);
    if (response.status === 204) return drain(response);
    if (response.status !== 200) throw await httpEvidence('GET /poll/{id}', response);
    const batch = await response.json();
    return batch;
  }
  function handle(batch) {
    if (!batch) return;
    const first = batch.cursor - batch.messages.length + 1; // a batch holds consecutive numbers ending at its cursor
    batch.messages.forEach((text, i) => hooks.deliver(first + i, text));
  }
  async function loop() {
    while (!stopped) {
      if (paused) { await new Promise((r) => { wake = r; }); wake = null; continue; }
      try {
        handle(await poll());
      } catch (err) {
        drop(err instanceof Evidence ? err : new Evidence(`GET /poll/{id} failed (${err.message})`));
        return;
      }
    }
  }
  // The proof: one poll that answers at once (it also takes the session over from the previous reader).
  return (async () => {
    try {
      handle(await poll(0));
    } catch (err) {
      sender.stop();
      throw err instanceof Evidence ? err : new Evidence(`GET /poll/{id} failed (${err.message})`);
    }
    return carrier;
  })();
}

async function endSession(session, base, path) {
  const response = await fetch(new URL(`${path}/${session.id}`, base), { method: 'DELETE', keepalive: true });
  await drain(response);
}
