/**
 * What became of a supervised transfer, read from the call's own events
 * (its outbound event socket keeps running after `uuid_transfer`, see
 * shared/FREESWITCH.md). The target's dialplan runs `bridge`:
 *
 * - `CHANNEL_BRIDGE`: someone answered -> `answered`;
 * - the bridge's `CHANNEL_EXECUTE_COMPLETE` first: it failed, and
 *   `originate_disposition` says why (`USER_BUSY`, `NO_ANSWER`, ...) ->
 *   `unanswered` at once, before the dialplan goes on to voicemail;
 * - the timeout while the bridge still rings -> `unanswered` (no answer);
 * - the timeout with no bridge at all: the destination took the call some
 *   other way (an IVR, voicemail, a queue) -> `delivered`;
 * - the caller hangs up -> `hangup`.
 *
 * Only a bridge that started after the watch began counts: a late
 * completion of an earlier one (its `Application-UUID` differs) is not this
 * transfer's. No I/O but the one timer.
 */
import { CommandError } from "../esl/commands.js";
import type { ChannelEvent } from "./call-events.js";

export type TransferEnd =
  | { kind: "answered" }
  | { kind: "delivered" }
  | { kind: "unanswered"; code: string; why: string }
  | { kind: "hangup" };

/** Originate causes that mean "busy": the person is there but cannot take it. */
const BUSY = new Set(["USER_BUSY", "CALL_REJECTED", "BUSY", "DONTCALL"]);
/** Causes that mean nobody picked up. */
const NO_ANSWER = new Set(["NO_ANSWER", "NO_USER_RESPONSE", "NOANSWER", "PROGRESS_TIMEOUT", "ALLOTTED_TIMEOUT", "ORIGINATOR_CANCEL", "CANCEL"]);

export class TransferWatch {
  readonly done: Promise<TransferEnd>;
  private settle!: (end: TransferEnd) => void;
  private ended = false;
  /** The ringing bridge's Application-UUID, once it started. */
  private bridge: string | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    private readonly target: string,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.timer = setTimeout(() => this.onTimeout(), timeoutMs);
  }

  get ringing(): boolean {
    return this.bridge !== undefined && !this.ended;
  }

  /** One of the call's events, classified (call-events.ts). */
  onEvent(event: ChannelEvent): void {
    switch (event.kind) {
      case "bridge-start":
        this.bridge ??= event.app;
        return;
      case "bridged":
        if (this.bridge !== undefined) this.end({ kind: "answered" });
        return;
      case "bridge-end":
        if (this.bridge !== undefined && event.app === this.bridge) this.end(unanswered(this.target, event.disposition));
        return;
      case "hangup":
        this.end({ kind: "hangup" });
        return;
      default:
        return;
    }
  }

  /** Stops watching (the transfer was refused, or the call is going away). */
  cancel(): void {
    this.end({ kind: "hangup" });
  }

  private onTimeout(): void {
    const seconds = Math.round(this.timeoutMs / 1000);
    if (this.bridge === undefined) this.end({ kind: "delivered" });
    else this.end({ kind: "unanswered", code: CommandError.TransferNoAnswer, why: `${this.target} did not answer within ${seconds} s` });
  }

  private end(end: TransferEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.settle(end);
  }
}

function unanswered(target: string, disposition: string | undefined): TransferEnd {
  const cause = disposition ?? "unknown cause";
  if (disposition && BUSY.has(disposition)) return { kind: "unanswered", code: CommandError.TransferBusy, why: `${target} is busy (${cause})` };
  if (disposition && NO_ANSWER.has(disposition)) return { kind: "unanswered", code: CommandError.TransferNoAnswer, why: `${target} did not answer (${cause})` };
  return { kind: "unanswered", code: CommandError.TransferFailed, why: `the call to ${target} failed (${cause})` };
}
