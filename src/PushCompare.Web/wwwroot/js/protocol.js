// Which HTTP version and whether TLS carry this page: the comparison's numbers depend on both (docs/measuring.md).

const names = { 'h2': 'HTTP/2', 'h3': 'HTTP/3', 'http/1.1': 'HTTP/1.1', 'http/1.0': 'HTTP/1.0' };
// The server's name for a request's protocol (HttpRequest.Protocol) as Resource Timing's nextHopProtocol writes it.
const alpnOf = { 'HTTP/2': 'h2', 'HTTP/3': 'h3', 'HTTP/1.1': 'http/1.1', 'HTTP/1.0': 'http/1.0' };

/**
 * A protocol as the page labels it: `text` for headings ("HTTP/2 + TLS", "HTTP/1.1, plain"), `short` for bars and
 * ids ("h2", "h1", "h1 + TLS"), `id` for test ids ("h2", "h1", "h1-tls").
 * @returns {{ alpn: string, tls: boolean, text: string, short: string, id: string }}
 */
export function describeProtocol(alpn, tls) {
  const short = alpn === 'h2' ? 'h2' : alpn === 'h3' ? 'h3' : 'h1';
  return {
    alpn,
    tls,
    text: `${names[alpn] ?? alpn}${tls ? ' + TLS' : ', plain'}`,
    short: short === 'h1' && tls ? 'h1 + TLS' : short,
    id: short === 'h1' && tls ? 'h1-tls' : short,
  };
}

/**
 * The page's own protocol, from Resource Timing's nextHopProtocol of the navigation (what the browser negotiated:
 * ALPN over TLS, else HTTP/1.1) and the page's scheme. Every transport's requests ride the same origin, so they share it.
 */
export function pageProtocol(win = globalThis) {
  const navigation = win.performance?.getEntriesByType?.('navigation')?.[0];
  return describeProtocol(navigation?.nextHopProtocol || 'http/1.1', win.location?.protocol === 'https:');
}

/** Another origin's protocol as its server saw a request of this page's (GET /api/origins answers it). */
export function serverProtocol({ protocol, tls }) {
  return describeProtocol(alpnOf[protocol] ?? protocol.toLowerCase(), Boolean(tls));
}
