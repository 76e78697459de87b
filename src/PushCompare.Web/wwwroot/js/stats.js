// The server's own figures for one session: GET /api/stats?session=KEY (docs/measuring.md).
// These requests are the page's "other" traffic: the server never counts them to a transport.

/**
 * The session's figures (version 3: HTTP layer `bytesIn/Out`, wire layer `wireBytesIn/Out`), or null when the server
 * has none (not yet seen, metering off, or forgotten after a reset). `transportTotals` carries its transport's
 * connection figures, which no session has: the TLS handshakes and HTTP/2 connection frames of the connections the
 * transport owns; `pageTotals` the same figures of the page's own traffic (`other`), which usually owns them instead;
 * `behindProxy` the address of the load balancer the figures were read through, when it is one that does not meter
 * (then they are the instance's figures for the balancer's connection, not the browser's), else null.
 */
export async function fetchSessionStats(key, base = location.href, signal) {
  const url = new URL('api/stats', base);
  url.searchParams.set('session', key);
  const response = await fetch(url, { cache: 'no-store', signal });
  if (!response.ok) throw new Error(`GET /api/stats answered ${response.status}`);
  const body = await response.json();
  const session = body.enabled ? body.sessions.find((s) => s.key === key) ?? null : null;
  // Through a load balancer that does not meter (nginx, HAProxy), the server names it: these are not the browser's figures.
  const behindProxy = response.headers.get('PushCompare-Behind-Proxy');
  return session && { ...session, transportTotals: body.transports[session.transport] ?? null, pageTotals: body.transports.other ?? null, behindProxy };
}

/** Adds up the figures of several sessions (a comparison run uses one for the echoes and one for the push). */
export function sumStats(sessions) {
  const total = { requests: 0, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, latencyCount: 0, latencySumMs: 0 };
  for (const s of sessions) {
    if (!s) continue;
    for (const k of ['requests', 'bytesIn', 'bytesOut', 'messagesIn', 'messagesOut']) total[k] += s[k];
    total.latencyCount += s.latency.count;
    total.latencySumMs += (s.latency.meanMs ?? 0) * s.latency.count;
  }
  total.bytesPerMessage = total.messagesOut ? (total.bytesIn + total.bytesOut) / total.messagesOut : null;
  total.latencyMeanMs = total.latencyCount ? total.latencySumMs / total.latencyCount : null;
  return total;
}
