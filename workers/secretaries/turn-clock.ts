/**
 * The two clocks of a turn. The stall budget runs from the caller's last
 * word (or a tool call) until the provider answers, so a provider that
 * stays silent can be replaced. The latency runs from the caller's last
 * word until the answer's first audio is sent to the relay, once a turn,
 * for the call record. No clock of its own: time is passed in.
 */
export class TurnClock {
  private waitingSince: number | undefined;
  private callerStoppedAt: number | undefined;

  /** Is the caller waiting for an answer? */
  get waiting(): boolean {
    return this.waitingSince !== undefined;
  }

  /** The caller stopped speaking: both clocks start. */
  callerStopped(atMs: number): void {
    this.callerStoppedAt = this.waitingSince = atMs;
  }

  /** A tool runs: the answer comes after it. */
  toolCalled(atMs: number): void {
    this.waitingSince = atMs;
  }

  /** The provider answered (possibly with nothing to say). */
  answered(): void {
    this.waitingSince = undefined;
  }

  /** Another provider takes over: it gets its own stall budget. */
  failedOver(atMs: number): void {
    if (this.waitingSince !== undefined) this.waitingSince = atMs;
  }

  /** How long the caller has waited for an answer, once that is past `budgetMs`. */
  overdue(nowMs: number, budgetMs: number): number | undefined {
    if (this.waitingSince === undefined || nowMs - this.waitingSince <= budgetMs) return undefined;
    return nowMs - this.waitingSince;
  }

  /** An answer's first audio left: when the caller had stopped speaking (once a turn; undefined after). */
  firstAudio(): number | undefined {
    const at = this.callerStoppedAt;
    this.callerStoppedAt = undefined;
    return at;
  }
}
