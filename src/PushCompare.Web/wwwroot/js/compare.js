// The comparison run: the same scripted workload over every transport in turn, measured by the server per session.
// Per transport: N echoes one after another on a fresh connection, then a second fresh connection opened with
// push=T that stays until K seconds' worth of ticks arrived. Both are closed before their figures are read, so
// every byte (handshake, polls, close) is in them.
import { CLOSED } from './transports/index.js';
import { fetchSessionStats, sumStats } from './stats.js';
import { pageProtocol, serverProtocol } from './protocol.js';

const MESSAGE_SLACK_MS = 30_000; // beyond the push and poll periods: a message later than this means the run failed

/**
 * @param {object} run
 * @param {readonly {id: string, label: string}[]} run.transports in the order to run them
 * @param {(id: string, base: string, options: object) => any} run.createSocket
 * @param {number} run.echoes N
 * @param {number} run.pushSeconds K
 * @param {number} run.pushIntervalMs T (1000: one message a second)
 * @param {object} run.connect options every socket gets (e.g. the short-polling interval)
 * @param {(progress: {transport: object, phase: string, done: number, total: number}) => void} run.onProgress
 * @param {number} [run.messageSlackMs] how much later than the push and poll periods a message may come before the
 *   run fails (tests shorten it)
 * @returns {Promise<{id: string, label: string, figures: object|null, behindProxy: string|null, delivered: number,
 *   latency: object, fastestEchoMs: number, firstMessageMs: number, sessions: string[]}[]>}
 *   figures is null where the server has no byte figures for the sessions (over a protocol it does not meter yet,
 *   or with metering off), or where they were read through a load balancer that does not meter (behindProxy names
 *   it): the view says so rather than showing zeros or the balancer's figures
 */
export async function runComparison({
  transports, createSocket, base = location.href, echoes, pushSeconds, pushIntervalMs, connect = {}, onProgress = () => {},
  messageSlackMs = MESSAGE_SLACK_MS,
}) {
  const results = [];
  for (const transport of transports) {
    const timeoutMs = messageSlackMs + pushIntervalMs + (connect.intervalMs ?? 0);
    // A missing message ends the run: its latency and its figures would be someone else's if the run went on.
    const labelled = (message, what) => message.catch((err) => { throw new Error(`${transport.label}, ${what}: ${err.message}`); });
    const open = (options) => openSocket(createSocket(transport.id, base, { ...connect, ...options }), timeoutMs);
    const samples = [];
    const echoSamples = [];

    // A transport that polls on a timer answers an echo at its next poll: sent right after a reply (just after a poll)
    // it would always wait the whole interval, the worst case. Each echo waits first for its own share of the interval,
    // so the sends fall at phases spread over it and the median is what a user typically waits (docs/measuring.md).
    const pollsEvery = transport.settings?.includes('intervalMs') ? connect.intervalMs ?? 0 : 0;
    // Time to first message: from nothing (no connection, no session) to the first echo's reply.
    const opened = performance.now();
    let firstMessageMs = null;
    const echo = await open({});
    try {
      for (let i = 1; i <= echoes; i++) {
        onProgress({ transport, phase: 'echo', done: i - 1, total: echoes });
        if (pollsEvery > 0 && i > 1) await new Promise((resolve) => setTimeout(resolve, ((i - 1) / echoes) * pollsEvery));
        const started = performance.now();
        const reply = echo.next();
        echo.socket.send(`echo ${i}`);
        const text = await labelled(reply, `echo ${i} of ${echoes}`);
        if (text !== `Received: echo ${i}`) throw new Error(`${transport.label}: expected “Received: echo ${i}”, got “${text}”.`);
        const arrived = performance.now();
        firstMessageMs ??= arrived - opened;
        samples.push(arrived - started); // an echo waits from send() to its reply
        echoSamples.push(arrived - started);
      }
    } finally {
      await echo.close();
    }

    const ticks = Math.max(1, Math.round((pushSeconds * 1000) / pushIntervalMs));
    const push = await open({ push: pushIntervalMs });
    try {
      for (let i = 0; i < ticks; i++) {
        onProgress({ transport, phase: 'push', done: i, total: ticks });
        const text = await labelled(push.next(), `push tick ${i + 1} of ${ticks}`);
        const stamped = /^tick \d+ (\d+)$/.exec(text);
        if (!stamped) throw new Error(`${transport.label}: expected a push tick, got “${text}”.`);
        samples.push(Math.max(0, Date.now() - Number(stamped[1]))); // a tick waits from the server's stamp to arrival
      }
    } finally {
      await push.close();
    }

    const sessions = [echo.socket.sessionKey, push.socket.sessionKey];
    const stats = await Promise.all(sessions.map((key) => fetchSessionStats(key, base)));
    const figures = stats.every(Boolean) ? sumStats(stats) : null;
    // Sessions the server saw but whose bytes it could not attribute (TLS, HTTP/2 before metering covers them) have 0.
    // Behind a load balancer that does not meter, the figures are the balancer's connections': left out too.
    const behindProxy = stats.find((s) => s?.behindProxy)?.behindProxy ?? null;
    const metered = !behindProxy && figures !== null && figures.bytesIn + figures.bytesOut > 0;
    results.push({
      id: transport.id, label: transport.label, figures: metered ? figures : null, behindProxy, delivered: echoes + ticks,
      latency: summarize(samples), fastestEchoMs: Math.min(...echoSamples), firstMessageMs, sessions,
    });
    onProgress({ transport, phase: 'done', done: 1, total: 1 });
  }
  return results;
}

/**
 * The comparison over both of the app's protocols and its emulated links: the page's own origin, the app's origin on
 * the other scheme (http://localhost:5080 ↔ https://localhost:5081, under the page's host name), and each port where
 * the app serves itself through an emulated link (`Links:4g=5083`: HTTP/1.1 over 4G). Each leg is runComparison with
 * that origin as base. The other origins are probed first (GET /api/origins, which also says its protocol and link),
 * so a leg the browser cannot reach — a certificate not accepted yet, or mixed content from an https page — is a
 * sentence, not a failed run; the page's own leg runs either way.
 * @returns {Promise<{protocol: object, base: string, results: object[]|null, problem: object|null}[]>} plain first,
 *   then TLS, then the links
 */
export async function runProtocols({ here = location, onLeg = () => {}, ...run }) {
  const own = await fetchOrigins(here.href).catch(() => null);
  const legs = [{ protocol: overLink(pageProtocol(), own?.link), base: here.href, problem: null }];
  const other = own && otherOrigin(own.origins, here);
  if (other) legs.push(await probe(other, { tls: other.startsWith('https:') }));
  for (const link of linkOrigins(own, here)) legs.push(await probe(link, { tls: false }));
  for (const leg of legs) {
    if (leg.problem) continue;
    onLeg(leg);
    try {
      if (leg !== legs[0]) await warmUp(leg.base);
      leg.results = await runComparison({ ...run, base: leg.base });
    } catch (err) {
      // The own leg failing fails the run, as before; another leg's failure is shown beside the own leg's figures.
      if (leg === legs[0]) throw err;
      leg.problem = { kind: 'failed', message: err.message };
    }
  }
  for (const leg of legs) leg.results ??= null;
  const order = (leg) => (leg.protocol.link ? 2 : Number(leg.protocol.tls));
  return legs.sort((a, b) => order(a) - order(b));
}

/** A protocol as carried over an emulated link (or as it is, without one): its labels name the link. */
export function overLink(protocol, link) {
  if (!link) return protocol;
  return {
    ...protocol, link, text: `${protocol.text} over ${link.name}`, short: `${protocol.short} ${link.name}`, id: `${protocol.id}-${link.name}`,
  };
}

/** The app's emulated links (GET /api/origins) other than the one the page is on, under the page's host name. */
export function linkOrigins(answer, here = location) {
  return (answer?.links ?? []).map((link) => {
    const url = new URL(link.origin);
    if (url.hostname === 'localhost' && ['127.0.0.1', '[::1]', 'localhost'].includes(here.hostname)) url.hostname = here.hostname;
    return `${url.origin}/`;
  }).filter((base) => new URL(base).origin !== new URL(here.href).origin);
}

/**
 * Opens the browser's credentialed connection to the other origin, as a page loaded there has (its navigation).
 * Chromium keeps connections for requests with and without credentials apart, and sends a WebSocket over HTTP/2
 * (RFC 8441) only on an HTTP/2 connection it already has: the page's cross-origin fetches carry no credentials, so
 * without this the WebSocket would open a connection of its own and ride HTTP/1.1. A no-cors request may carry
 * credentials without the server allowing them (its answer stays opaque, and is not read); there are no cookies anyway.
 */
async function warmUp(base) {
  await fetch(new URL('api/origins', base), { mode: 'no-cors', credentials: 'include', cache: 'no-store' }).catch(() => {});
}

/** The app's origins (GET /api/origins at `base`) and the protocol the request came over. */
export async function fetchOrigins(base) {
  const response = await fetch(new URL('api/origins', base), { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET ${new URL('api/origins', base).href} answered ${response.status}`);
  return response.json();
}

/** The origin on the other scheme among `origins`, under `here`'s host name when listed (the certificate names both). */
export function otherOrigin(origins, here = location) {
  const scheme = here.protocol === 'https:' ? 'http:' : 'https:';
  const candidates = origins.map((o) => new URL(o)).filter((u) => u.protocol === scheme);
  const url = candidates.find((u) => u.hostname === here.hostname) ?? candidates[0];
  return url ? `${url.origin}/` : null;
}

// Another leg: reachable, with the protocol (and link) the server saw, or why not.
async function probe(base, { tls }) {
  try {
    const answer = await fetchOrigins(base);
    return { protocol: overLink(serverProtocol(answer), answer.link), base, problem: null };
  } catch (err) {
    // fetch says only "TypeError: Failed to fetch": the reason follows from the direction.
    const kind = !(err instanceof TypeError) ? 'failed' : tls ? 'certificate' : 'mixed-content';
    // Its protocol is unknown (nothing got through): the heading names the scheme only.
    const protocol = { alpn: null, tls, text: tls ? 'HTTPS' : 'plain HTTP', short: tls ? 'TLS' : 'plain', id: tls ? 'tls' : 'plain' };
    return { protocol, base, problem: { kind, message: err.message } };
  }
}

/** Count, median and p99 (nearest rank) of latency samples in ms. */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? null;
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99) };
}

/**
 * Waits for `socket`'s open, then hands out its messages in arrival order, none lost: a message no next() is waiting
 * for is queued for the next call — also one that comes after its waiter gave up at `timeoutMs`. close() closes and
 * resolves on the close event (the server's figures are final then).
 */
export function openSocket(socket, timeoutMs) {
  const queue = [];
  const waiting = [];
  let ended = null;
  socket.onmessage = (e) => {
    const waiter = waiting.shift();
    if (!waiter) return queue.push(e.data);
    clearTimeout(waiter.timer);
    waiter.resolve(e.data);
  };
  const closed = new Promise((resolve) => socket.addEventListener('close', (e) => {
    ended = new Error(`the connection closed (code ${e.code}${e.reason ? ` “${e.reason}”` : ''})`);
    for (const w of waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(ended);
    }
    resolve();
  }, { once: true }));

  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve({
      socket,
      next() {
        if (queue.length) return Promise.resolve(queue.shift());
        if (ended) return Promise.reject(ended);
        return new Promise((res, rej) => {
          const waiter = { resolve: res, reject: rej, timer: 0 };
          // A waiter that gives up leaves the line, so a late message is queued for the next call, not swallowed.
          waiter.timer = setTimeout(() => {
            waiting.splice(waiting.indexOf(waiter), 1);
            rej(new Error(`no message within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`));
          }, timeoutMs);
          waiting.push(waiter);
        });
      },
      close() {
        if (socket.readyState !== CLOSED) socket.close(1000, 'Comparison step done');
        return closed;
      },
    }), { once: true });
    socket.addEventListener('close', () => reject(ended), { once: true });
  });
}
