/**
 * The second half of a barge-in: playback is already cleared at the relay;
 * now the provider must learn how much of its answer the caller heard. The
 * relay's `playback.event` "cleared" carries `playedMs` (audio it actually
 * played, call-wide); when it does not come within `waitMs` (an older
 * relay, nothing was playing) our own accounting of what was sent stands in.
 */

export interface BargeInReport {
  responseId: string;
  playedMs: number;
  source: "relay" | "estimate";
}

export class PendingTruncation {
  readonly reports: BargeInReport[] = [];
  private pending: { responseId: string; estimateMs: number; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly waitMs: number,
    /** Milliseconds of `responseId` heard, from the relay's call-wide playedMs. */
    private readonly playedOf: (responseId: string, relayPlayedMs: number) => number | undefined,
    private readonly truncate: (report: BargeInReport) => void,
  ) {}

  begin(responseId: string, estimateMs: number): void {
    this.cancel();
    this.pending = { responseId, estimateMs, timer: setTimeout(() => this.complete(undefined), this.waitMs) };
  }

  /** The relay's `playback.event` "cleared". */
  relayCleared(playedMs: number | undefined): void {
    if (playedMs !== undefined) this.complete(playedMs);
  }

  cancel(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private complete(relayPlayedMs: number | undefined): void {
    const p = this.pending;
    if (!p) return;
    this.cancel();
    const fromRelay = relayPlayedMs === undefined ? undefined : this.playedOf(p.responseId, relayPlayedMs);
    const report: BargeInReport = { responseId: p.responseId, playedMs: Math.round(fromRelay ?? p.estimateMs), source: fromRelay === undefined ? "estimate" : "relay" };
    this.reports.push(report);
    this.truncate(report);
  }
}
