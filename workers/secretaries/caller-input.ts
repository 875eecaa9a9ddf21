/**
 * Caller audio on its way to a provider: decoded from the call's encoding,
 * resampled to the provider's input rate (one place for this direction,
 * filter state kept across frames), encoded as the provider wants. While a
 * provider is opening, audio is held at the call's rate (at most
 * `maxBufferedMs`, oldest dropped) and sent once it is ready.
 */
import { concatPcm16 } from "../../shared/audio/pcm16.js";
import { Resampler } from "../../shared/audio/resampler.js";
import type { UpFrame } from "../downlink.js";
import type { VoiceProvider } from "../providers/provider.js";
import { decodeCallAudio, encodeProviderAudio } from "./agent-playback.js";

export class CallerInput {
  private resampler: Resampler | undefined;
  private held: Int16Array[] = [];
  private heldSamples = 0;

  constructor(
    private readonly callRate: number,
    private readonly maxBufferedMs = 3000,
  ) {}

  /** A new provider: a fresh filter for its rate. */
  switchTo(provider: VoiceProvider): void {
    this.resampler = new Resampler(this.callRate, provider.input.sampleRate);
  }

  /** Converts and sends frames when `ready`, else holds them. Returns the frames' samples at the call's rate. */
  push(frames: readonly UpFrame[], provider: VoiceProvider, ready: boolean): Int16Array {
    const samples = concatPcm16(frames.map((f) => decodeCallAudio(f.encoding, f.payload)));
    if (samples.length === 0) return samples;
    if (ready) {
      this.send(samples, provider);
      return samples;
    }
    this.held.push(samples);
    this.heldSamples += samples.length;
    const max = (this.callRate * this.maxBufferedMs) / 1000;
    while (this.heldSamples > max && this.held.length > 1) this.heldSamples -= (this.held.shift() as Int16Array).length;
    return samples;
  }

  /** Sends what was held while the provider was opening. */
  flush(provider: VoiceProvider): void {
    if (this.held.length === 0) return;
    this.send(concatPcm16(this.held), provider);
    this.held = [];
    this.heldSamples = 0;
  }

  private send(samples: Int16Array, provider: VoiceProvider): void {
    if (this.resampler?.toRate !== provider.input.sampleRate) this.resampler = new Resampler(this.callRate, provider.input.sampleRate);
    provider.sendAudio(encodeProviderAudio(provider.input, this.resampler.process(samples)));
  }
}
