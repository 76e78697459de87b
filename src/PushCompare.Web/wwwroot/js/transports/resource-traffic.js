// What Resource Timing lets a page see of its own HTTP requests: one entry per completed request, with body sizes.
// One PerformanceObserver for the page hands each entry to every tally that claims it.

const tallies = new Set();
let observer = null;

function observe() {
  if (observer || typeof PerformanceObserver === 'undefined') return;
  // An observer, not getEntriesByType: it keeps seeing entries after the 250-entry timeline buffer is full.
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) for (const tally of tallies) tally.offer(entry);
  });
  observer.observe({ type: 'resource', buffered: true });
}

/** Counts the Resource Timing entries `claims(entry)` accepts, until stop(). */
export class ResourceTally {
  requests = 0;
  transferSize = 0;    // the specification fixes this at encodedBodySize + 300 per response: header bytes stay hidden
  encodedBodySize = 0; // the response bodies exactly, as they crossed the wire
  #claims;

  /** @param {(entry: PerformanceResourceTiming) => boolean} claims */
  constructor(claims) {
    this.#claims = claims;
    observe();
    tallies.add(this);
  }

  offer(entry) {
    if (!this.#claims(entry)) return;
    this.requests++;
    this.transferSize += entry.transferSize;
    this.encodedBodySize += entry.encodedBodySize;
  }

  /** Stops counting once entries of the last requests had time to arrive (they are queued after each response ends). */
  stop(afterMs = 5000) {
    setTimeout(() => tallies.delete(this), afterMs);
  }
}
