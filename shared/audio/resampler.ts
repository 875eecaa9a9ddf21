/**
 * Streaming PCM16 resampler between the rates of a call (8/16 kHz) and of
 * the providers (16/24 kHz): a polyphase windowed-sinc FIR (Kaiser window)
 * for any rational ratio. The filter history and the output phase are kept
 * between chunks, so audio resampled in 20 ms pieces is sample-for-sample
 * what it would be in one piece: no clicks at chunk edges.
 *
 * Why our own: the pure-JS resamplers on npm (wave-resampler and the like)
 * resample whole buffers and restart the filter on every call, and
 * libsamplerate-js is WebAssembly compiled from bytes at run time, which
 * Workers refuse. This is ~100 lines and tested for passband flatness,
 * aliasing/image rejection and chunk continuity (resampler.test.ts).
 */
import { toInt16 } from "./pcm16.js";

export interface ResamplerOptions {
  /** Passband edge as a fraction of the lower Nyquist frequency (default 0.85: 3.4 kHz at 8 kHz, the phone band). */
  passband?: number;
  /** Stopband attenuation, dB (default 80). The Nyquist frequency itself is the stopband edge, so nothing aliases into the passband. */
  stopbandDb?: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Zeroth-order modified Bessel function of the first kind (Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly up: number;
  private readonly down: number;
  private readonly taps: number;
  /** Polyphase branches: phase p holds h[p + k*up], k = 0..taps-1. */
  private readonly branches: Float64Array[];
  /** The last taps-1 input samples of earlier chunks, oldest first. */
  private history: Float64Array;
  /** Position of the next output on the upsampled time line, relative to the current chunk's first sample. */
  private nextT = 0;

  constructor(fromRate: number, toRate: number, options: ResamplerOptions = {}) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`rates must be positive integers, got ${fromRate} -> ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    const passband = options.passband ?? 0.85;
    const atten = options.stopbandDb ?? 80;
    const beta = 0.1102 * (atten - 8.7);
    const upRate = fromRate * this.up;
    const nyquist = 0.5 * Math.min(fromRate, toRate);
    // Kaiser's length formula for a transition from the passband edge to the Nyquist frequency.
    const transition = (2 * Math.PI * (1 - passband) * nyquist) / upRate;
    this.taps = Math.ceil((atten - 8) / (2.285 * transition) / this.up);
    const n = this.up * this.taps;
    // Cutoff in cycles per upsampled sample: the middle of the transition band.
    const fc = ((1 + passband) / 2) * (nyquist / upRate);
    const centre = (n - 1) / 2;
    const i0b = besselI0(beta);
    const h = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = i - centre;
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      const r = (2 * i) / (n - 1) - 1;
      h[i] = this.up * sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b);
    }
    this.branches = Array.from({ length: this.up }, (_, p) => Float64Array.from({ length: this.taps }, (_, k) => h[p + k * this.up] as number));
    this.history = new Float64Array(this.taps - 1);
  }

  /** Delay the filter adds, in output samples (constant). */
  get delaySamples(): number {
    return (this.up * this.taps - 1) / 2 / this.down;
  }

  /** Resamples the next chunk of the stream. */
  process(input: Int16Array): Int16Array {
    if (this.up === 1 && this.down === 1) return input.slice();
    const hist = this.taps - 1;
    const buf = new Float64Array(hist + input.length);
    buf.set(this.history);
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i] as number;
    const limit = input.length * this.up;
    const count = this.nextT < limit ? Math.ceil((limit - this.nextT) / this.down) : 0;
    const out = new Int16Array(count);
    let t = this.nextT;
    for (let j = 0; j < count; j++, t += this.down) {
      const i = Math.floor(t / this.up);
      const branch = this.branches[t - i * this.up] as Float64Array;
      // buf[i + hist] is input sample i; the branch runs backwards in time from it.
      let acc = 0;
      for (let k = 0, b = i + hist; k < this.taps; k++, b--) acc += (branch[k] as number) * (buf[b] as number);
      out[j] = toInt16(acc);
    }
    this.nextT = t - limit;
    this.history = buf.slice(buf.length - hist);
    return out;
  }

  /** Forgets the stream (a new utterance, after a barge-in). */
  reset(): void {
    this.history.fill(0);
    this.nextT = 0;
  }
}
