// The page's own name for a WebSocket (/ws?client=KEY), so it can ask /api/stats?session=KEY for its figures.

/** A random UUID; crypto.randomUUID needs a secure context, so plain-http LAN addresses fall back to getRandomValues. */
export function newClientKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
