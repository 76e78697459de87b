// When the page reconnects by itself: its connection ended without the person asking, because the server went away
// (died, restarted, shut down) or lost the session, never after the person's Disconnect, a switch or a refusal.

/**
 * Close codes after which the page opens a new connection: 1001 going away (server shutting down), 1006 abnormal (the
 * connection died, or an HTTP transport gave up after repeated failures), 1011/1012/1013 server error, restart, try
 * again later; 4404 and 4410 from the HTTP transports: the server no longer knows the session (it restarted) or ended it.
 * Not 1000 (asked for), 1009 (our message was too big), 4400 (a refused request) or 4409 (another stream took over).
 */
const RECONNECT_CODES = new Set([1001, 1006, 1011, 1012, 1013, 4404, 4410]);

export function shouldReconnect(code) {
  return RECONNECT_CODES.has(code);
}

/** Wait before reconnect attempt `attempt` (1, 2, …): 1 s, doubling up to 10 s, so a dead server is not hammered. */
export function reconnectDelayMs(attempt, { baseMs = 1000, maxMs = 10_000 } = {}) {
  return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}
