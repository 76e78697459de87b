// What a comparison run's table and charts show for each transport, in order, and what stands where the server has
// no figure.

/** What a figure the server does not count over a protocol yet says, instead of 0. */
export const UNMETERED = 'not metered on this protocol yet';

/** In display order; `get` reads one transport's result; `server`: the server's byte figures. */
export const metrics = [
  { id: 'requests', server: true, label: 'Requests', get: (r) => r.figures?.requests ?? null },
  { id: 'bytesUp', server: true, label: 'Bytes up (page → server)', get: (r) => r.figures?.bytesIn ?? null },
  { id: 'bytesDown', server: true, label: 'Bytes down (server → page)', get: (r) => r.figures?.bytesOut ?? null },
  { id: 'bytesPerMessage', server: true, label: 'Bytes per delivered message', get: (r) => r.figures?.bytesPerMessage ?? null },
  { id: 'latencyP50', label: 'Median latency', ms: true, get: (r) => r.latency.p50 },
  { id: 'latencyP99', label: 'p99 latency', ms: true, get: (r) => r.latency.p99 },
  { id: 'fastestEcho', label: 'Fastest echo round trip', ms: true, get: (r) => r.fastestEchoMs },
  { id: 'firstMessage', label: 'Time to first message', ms: true, get: (r) => r.firstMessageMs },
];
