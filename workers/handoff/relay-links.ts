/**
 * The two conversations the handoff has with the relay over the link,
 * kept as plain bookkeeping (no I/O: controls go out through `push`, the
 * relay's answers come in through `control`):
 *
 * - commands (`presence`, `transfer`, `hangup`): each gets an id, and its
 *   `command.result` resolves it; one that is never answered fails after
 *   `timeoutMs`, so a lost link never leaves the handoff waiting;
 * - line marks: a line the agent says is "played" when the relay reports a
 *   `playback.mark` we sent after the line's last audio. The mark has to
 *   follow the audio (controls go before frames in a downlink), so it is
 *   only released once the provider finished the response and every chunk
 *   of it has left for the relay (`drained`).
 */
import type { ControlInput, ControlOf } from "../../shared/link/index.js";
import type { CommandOutcome } from "./controller.js";

export class RelayCommands {
  private next = 0;
  private readonly pending = new Map<string, { resolve: (r: CommandOutcome) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly callId: string,
    private readonly push: (control: ControlInput) => void,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Sends a command; `timeoutMs` overrides the default wait for its result. */
  send(name: string, args: Record<string, string>, timeoutMs = this.timeoutMs): Promise<CommandOutcome> {
    const id = `handoff-${name}-${++this.next}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { code: "NO_RESULT", message: `no command.result in ${timeoutMs} ms` } });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.push({ type: "command", id, callId: this.callId, name, args });
    });
  }

  /** A command.result from the relay; false when it is not one of ours. */
  result(msg: ControlOf<"command.result">): boolean {
    const p = this.pending.get(msg.id);
    if (!p) return false;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    p.resolve({ ok: msg.ok, ...(msg.result ? { result: msg.result } : {}), ...(msg.error ? { error: msg.error } : {}) });
    return true;
  }

  /** The call is over: every open command fails now. */
  cancel(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: "CALL_ENDED", message: "the call ended" } });
      this.pending.delete(id);
    }
  }
}

interface Line {
  lineId: string;
  /** Responses that carried audio after the line was handed to the provider. */
  responses: Set<string>;
  done: boolean;
  markSent: boolean;
}

export class LineMarks {
  private readonly lines: Line[] = [];

  constructor(private readonly callId: string) {}

  /** The line was handed to the provider (say, or a tool result); its audio comes next. */
  delivered(lineId: string): void {
    this.lines.push({ lineId, responses: new Set(), done: false, markSent: false });
  }

  agentAudio(responseId: string): void {
    for (const l of this.lines) if (!l.done) l.responses.add(responseId);
  }

  /** A response finished: a line whose audio came in it is complete. */
  responseDone(responseId: string): void {
    for (const l of this.lines) if (l.responses.has(responseId)) l.done = true;
  }

  /** Marks due now: for complete lines, once all agent audio has left for the relay. */
  due(drained: boolean): ControlInput[] {
    if (!drained) return [];
    const out: ControlInput[] = [];
    for (const l of this.lines) {
      if (l.done && !l.markSent) {
        l.markSent = true;
        out.push({ type: "playback.mark", callId: this.callId, mark: l.lineId });
      }
    }
    return out;
  }

  /** A playback.event from the relay: the line it completes, if any. */
  played(msg: ControlOf<"playback.event">): string | undefined {
    if (msg.event !== "mark" || !msg.mark) return undefined;
    const i = this.lines.findIndex((l) => l.lineId === msg.mark && l.markSent);
    if (i < 0) return undefined;
    return this.lines.splice(i, 1)[0]!.lineId;
  }
}
