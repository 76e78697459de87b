// The comparison run: the same scripted workload over every transport in turn, measured by the server per session.
// Per transport: N echoes one after another on a fresh connection, then a second fresh connection opened with
// push=T that stays until K seconds' worth of ticks arrived. Both are closed before their figures are read, so
// every byte (handshake, polls, close) is in them.
import { CLOSED } from './transports/index.js';
import { fetchSessionStats, sumStats } from './stats.js';

const MESSAGE_SLACK_MS = 30_000; // beyond the push and poll periods: a message later than this means the run failed

/** What the table and the charts show, in order; `get` reads one transport's result. */
export const metrics = [
  { id: 'requests', label: 'Requests', get: (r) => r.figures.requests },
  { id: 'bytesUp', label: 'Bytes up (page → server)', get: (r) => r.figures.bytesIn },
  { id: 'bytesDown', label: 'Bytes down (server → page)', get: (r) => r.figures.bytesOut },
  { id: 'bytesPerMessage', label: 'Bytes per delivered message', get: (r) => r.figures.bytesPerMessage },
  { id: 'latencyP50', label: 'Median latency', ms: true, get: (r) => r.latency.p50 },
  { id: 'latencyP99', label: 'p99 latency', ms: true, get: (r) => r.latency.p99 },
];

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
 * @returns {Promise<{id: string, label: string, figures: object, latency: object, sessions: string[]}[]>}
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

    const echo = await open({});
    try {
      for (let i = 1; i <= echoes; i++) {
        onProgress({ transport, phase: 'echo', done: i - 1, total: echoes });
        const started = performance.now();
        const reply = echo.next();
        echo.socket.send(`echo ${i}`);
        const text = await labelled(reply, `echo ${i} of ${echoes}`);
        if (text !== `Received: echo ${i}`) throw new Error(`${transport.label}: expected “Received: echo ${i}”, got “${text}”.`);
        samples.push(performance.now() - started); // an echo waits from send() to its reply
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
    if (stats.some((s) => !s)) throw new Error('The server has no figures for this run’s sessions (is metering off?).');
    results.push({ id: transport.id, label: transport.label, figures: sumStats(stats), latency: summarize(samples), sessions });
    onProgress({ transport, phase: 'done', done: 1, total: 1 });
  }
  return results;
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
