/**
 * Reconnect delays: exponential backoff with full jitter (a uniformly random
 * delay between 0 and the exponential cap). The jitter spreads out hundreds
 * of relays that all lost the cloud at the same moment, so they do not
 * reconnect in one thundering herd. Pure: the random source is injected.
 */

export interface BackoffOptions {
  /** Cap of the first delay, ms. */
  minMs: number;
  /** Largest delay ever returned, ms. */
  maxMs: number;
  /** Uniform in [0, 1); Math.random when absent. */
  random?: () => number;
}

// 2^31 times any sane minimum is far past any maximum; stop the exponent there.
const MAX_EXPONENT = 31;

/** Reconnect delay generator. */
export class Backoff {
  private attempts = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.minMs > 0) || !(options.maxMs >= options.minMs)) {
      throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${options.minMs} and ${options.maxMs}`);
    }
    this.random = options.random ?? Math.random;
  }

  /** Failed attempts since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The cap the next delay is drawn under: min(maxMs, minMs * 2^attempt). */
  get currentCapMs(): number {
    return Math.min(this.options.maxMs, this.options.minMs * 2 ** Math.min(this.attempts, MAX_EXPONENT));
  }

  /** The next delay in whole ms, in [0, cap]; each call grows the cap. */
  next(): number {
    const cap = this.currentCapMs;
    this.attempts++;
    // Clamp the draw: an injected source might return exactly 1 (or junk).
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Number.isFinite(r) ? Math.round(r * cap) : cap;
  }

  /** After a connection that got past its handshake: start again from minMs. */
  reset(): void {
    this.attempts = 0;
  }
}
