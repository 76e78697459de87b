// ShortPollSocket: a LongPollSocket whose session is opened with wait=0 (every poll answers at once), polling on a timer.
import { LongPollSocket } from './longpoll.js';

export const DEFAULT_INTERVAL_MS = 1000;

export class ShortPollSocket extends LongPollSocket {
  /**
   * @param {string|URL} url the /poll endpoint
   * @param {{intervalMs?: number}} [options] time from the start of one poll to the start of the next, and LongPollSocket's options
   */
  constructor(url, { intervalMs = DEFAULT_INTERVAL_MS, ...options } = {}) {
    super(url, { ...options, wait: 0, intervalMs });
  }
}
