// The page's one connection: which transport it uses, opening, switching, Disconnect, the page's own reconnect after
// a drop nobody asked for, and what each of the socket's events writes to the log. It talks to whichever socket
// createSocket returns and never asks which transport it is.
import { createSocket, OPEN, CLOSING, CLOSED } from './transports/index.js';
import { shouldReconnect, reconnectDelayMs } from './reconnect.js';

const CLOSE_WAIT_MS = 5000; // a switch waits this long at most for the old socket's close before opening the new one

/**
 * @param {object} deps
 * @param {object} deps.transport the transports list's entry to start with
 * @param {ReturnType<import('./log.js').createLog>} deps.log
 * @param {(transportId: string, socket: object) => void} deps.track told of every socket opened (the live panel)
 * @param {() => object} deps.options the connect options at the moment a socket opens (interval, topic)
 * @param {() => void} deps.onChange told whenever the socket's state may have changed
 */
export function createConnection({ transport, log, track, options, onChange }) {
  let socket = null;
  let generation = 0; // bumped by every connect or switch; a superseded one gives up after its await
  let lostInARow = 0; // connections lost (or reconnects failed) since the last one that opened

  function open() {
    const entry = transport;
    const via = entry.label;
    const mine = generation;
    log.event(`connecting via ${via}`, via);
    const s = createSocket(entry.id, location.href, options());
    s.onopen = () => {
      log.event(`open — connected to ${s.url}`, via);
      if (lostInARow > 0) log.event('reconnected', via);
      lostInARow = 0;
      onChange();
    };
    s.onmessage = (e) => log.received(e.data, via);
    s.onerror = (e) => { log.event(`error${e.message ? ` — ${e.message}` : ''}`, via, 'error'); onChange(); };
    s.onclose = (e) => {
      log.event(entry.describeClose(e), via, e.wasClean ? undefined : 'error');
      onChange();
      // Only a drop nobody asked for: a Disconnect, switch or reconnect bumped the generation before closing.
      if (mine === generation && shouldReconnect(e.code)) reconnectLater(via, e.code);
    };
    // A socket that picks its transport at run time (auto) says which one carries it now, and why.
    s.addEventListener('transport', (e) => {
      log.event(entry.describeTransport(e), via, e.kind === 'initial' || e.kind === 'upgrade' ? undefined : 'warning');
      onChange();
    });
    s.addEventListener('retry', (e) => {
      log.event(`retry — ${e.operation} attempt ${e.attempt} failed (${e.reason}); trying again in ${e.delayMs} ms`, via, 'warning');
    });
    socket = s;
    track(entry.id, s);
    onChange();
  }

  // The page's own reconnect, the same for every transport: after a short backoff, unless the person acted meanwhile.
  function reconnectLater(via, code) {
    const mine = generation;
    const delayMs = reconnectDelayMs(++lostInARow);
    log.event(`connection lost (code ${code}) — reconnecting in ${delayMs / 1000} s`, via, 'warning');
    setTimeout(() => { if (mine === generation) open(); }, delayMs);
  }

  // Closes the current socket and resolves once it has fired close (or after CLOSE_WAIT_MS if it never does).
  function closeSocket(reason) {
    const s = socket;
    if (!s || s.readyState === CLOSED) return Promise.resolve();
    const closed = new Promise((resolve) => {
      s.addEventListener('close', resolve, { once: true });
      setTimeout(resolve, CLOSE_WAIT_MS);
    });
    if (s.readyState !== CLOSING) s.close(1000, reason);
    onChange();
    return closed;
  }

  // Every action of the person's starts a new generation: a later open is theirs, not a reconnect.
  function act() {
    lostInARow = 0;
    return ++generation;
  }

  return {
    get transport() { return transport; },
    /** The id of the transport carrying the connection now: the entry's own, or the one a picking socket chose. */
    get carrier() { return socket && 'transport' in socket ? socket.transport : transport.id; },
    /** The socket's readyState; CLOSED before the first connect. */
    get state() { return socket?.readyState ?? CLOSED; },

    async switchTo(next) {
      transport = next;
      const mine = act();
      log.event(`switching to ${next.label}`, next.label);
      await closeSocket(`Switching to ${next.label}`);
      if (mine === generation) open();
    },

    /** Opens a connection on the current transport, closing the one there is first. */
    async connect() {
      const mine = act();
      await closeSocket('Reconnecting');
      if (mine === generation) open();
    },

    async disconnect(reason) {
      act();
      await closeSocket(reason);
    },

    /** Sends `text` when open; answers whether it went. */
    send(text) {
      try {
        socket.send(text);
        log.sent(text, transport.label);
        return true;
      } catch (err) {
        log.event(`error — ${err.message}`, transport.label, 'error');
        return false;
      }
    },

    /** Closes an open socket as the page goes away, so its session is freed at once instead of expiring. */
    leave() {
      if (socket?.readyState === OPEN) socket.close(1000, 'Page closed');
    },
  };
}
