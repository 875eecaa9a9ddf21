/**
 * Helpers for the Workers-runtime provider tests: an event recorder that
 * can be awaited, synthetic caller speech, and the stand-ins' logs.
 */
import { pcm16ToBytes } from "../../shared/audio/pcm16.js";
import type { ProviderEnd, ProviderEvents, ToolCall, Transcript, Usage } from "../providers/provider.js";

export type Recorded =
  | { kind: "audio"; bytes: number; responseId: string }
  | { kind: "speech_started" }
  | { kind: "speech_stopped" }
  | { kind: "transcript"; t: Transcript }
  | { kind: "tool"; call: ToolCall }
  | { kind: "usage"; u: Usage }
  | { kind: "done"; responseId: string }
  | { kind: "ended"; end: ProviderEnd };

export class EventRecorder implements ProviderEvents {
  readonly log: Recorded[] = [];
  private waiters: { pred: (r: Recorded) => boolean; resolve: (r: Recorded) => void }[] = [];
  onSpeechStarted: (() => void) | undefined;
  onTool: ((call: ToolCall) => void) | undefined;
  configured: ((accepted: Record<string, unknown>) => void) | undefined;

  private add(r: Recorded): void {
    this.log.push(r);
    this.waiters = this.waiters.filter((w) => (w.pred(r) ? (w.resolve(r), false) : true));
  }
  audio(bytes: Uint8Array, responseId: string): void {
    this.add({ kind: "audio", bytes: bytes.byteLength, responseId });
  }
  callerSpeechStarted(): void {
    this.add({ kind: "speech_started" });
    this.onSpeechStarted?.();
  }
  callerSpeechStopped(): void {
    this.add({ kind: "speech_stopped" });
  }
  transcript(t: Transcript): void {
    this.add({ kind: "transcript", t });
  }
  toolCall(call: ToolCall): void {
    this.add({ kind: "tool", call });
    this.onTool?.(call);
  }
  usage(u: Usage): void {
    this.add({ kind: "usage", u });
  }
  responseDone(responseId: string): void {
    this.add({ kind: "done", responseId });
  }
  ended(end: ProviderEnd): void {
    this.add({ kind: "ended", end });
  }

  /** The first event (already seen after `from`, or to come) matching `pred`. */
  waitFor(pred: (r: Recorded) => boolean, timeoutMs = 10_000, from = 0): Promise<Recorded> {
    const seen = this.log.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(this.log.map((l) => l.kind))}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (r) => (clearTimeout(timer), resolve(r)) });
    });
  }

  audioBytes(responseId: string): number {
    return this.log.reduce((n, r) => (r.kind === "audio" && r.responseId === responseId ? n + r.bytes : n), 0);
  }
}

/** A vowel-like 220 Hz tone for `ms` then `silenceMs` of silence, PCM16 at `rate`. */
export function utterance(rate: number, ms = 800, silenceMs = 900): Uint8Array {
  const n = Math.round((rate * ms) / 1000);
  const total = n + Math.round((rate * silenceMs) / 1000);
  const s = new Int16Array(total);
  for (let i = 0; i < n; i++) s[i] = Math.round(9000 * Math.sin((2 * Math.PI * 220 * i) / rate) + 3000 * Math.sin((2 * Math.PI * 660 * i) / rate));
  return pcm16ToBytes(s);
}

/** `bytes` in 20 ms pieces (a call's frames). */
export function frames(bytes: Uint8Array, rate: number, bytesPerSample = 2): Uint8Array[] {
  const size = (rate / 50) * bytesPerSample;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/** What a stand-in logged for an API key. */
export async function standInLog(baseUrl: string, key: string): Promise<Record<string, unknown>[]> {
  const origin = new URL(baseUrl.replace(/^ws/, "http")).origin;
  const resp = await fetch(`${origin}/_stand-in/log?key=${encodeURIComponent(key)}`);
  return (await resp.json()) as Record<string, unknown>[];
}

export const testKey = (scenario: string) => `sk-test-${scenario}-${crypto.randomUUID()}`;
