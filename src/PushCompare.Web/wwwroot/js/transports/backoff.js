// Retry timing for the HTTP transports: exponential backoff with full jitter, never sooner than Retry-After asks.

/**
 * Delay before the next attempt after `failures` failed attempts in a row: a uniform random time up to
 * min(maxDelayMs, baseDelayMs · 2^(failures-1)). Full jitter keeps many clients from retrying in lockstep.
 */
export function backoffDelay(failures, { baseDelayMs, maxDelayMs }, random = Math.random) {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
  return Math.round(random() * ceiling);
}

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or 0 when absent or unreadable. */
export function retryAfterMs(header, now = Date.now()) {
  if (header == null || header.trim() === '') return 0;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
