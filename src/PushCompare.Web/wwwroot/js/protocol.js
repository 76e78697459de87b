// Which HTTP version and whether TLS carry this page: the comparison's numbers depend on both (docs/measuring.md).

const names = { 'h2': 'HTTP/2', 'h3': 'HTTP/3', 'http/1.1': 'HTTP/1.1', 'http/1.0': 'HTTP/1.0' };

/**
 * The page's own protocol, from Resource Timing's nextHopProtocol of the navigation (what the browser negotiated:
 * ALPN over TLS, else HTTP/1.1) and the page's scheme. Every transport's requests ride the same origin, so they share it.
 * @returns {{ alpn: string, tls: boolean, text: string }}
 */
export function pageProtocol(win = globalThis) {
  const navigation = win.performance?.getEntriesByType?.('navigation')?.[0];
  const alpn = navigation?.nextHopProtocol || 'http/1.1';
  const tls = win.location?.protocol === 'https:';
  return { alpn, tls, text: `${names[alpn] ?? alpn}${tls ? ' + TLS' : ', plain'}` };
}
