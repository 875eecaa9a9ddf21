/** Test signals and a tone meter for the DSP tests (pure; used by tests only). */

/** `seconds` of a sine at `freq` Hz, amplitude `amp` (of full scale). */
export function sine(freq: number, rate: number, seconds: number, amp = 0.5): Int16Array {
  const n = Math.round(rate * seconds);
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * 32767 * Math.sin((2 * Math.PI * freq * i) / rate)));
}

/** Amplitude (of full scale) of the `freq` component of `x` (Goertzel, Hann-windowed). */
export function toneAmplitude(x: Int16Array, freq: number, rate: number): number {
  const n = x.length;
  const w = (2 * Math.PI * freq) / rate;
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const v = ((x[i] as number) / 32767) * hann;
    re += v * Math.cos(w * i);
    im -= v * Math.sin(w * i);
    wsum += hann;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

export const db = (ratio: number) => 20 * Math.log10(Math.max(ratio, 1e-12));

/** Drops `skip` samples at each end (filter warm-up and tail). */
export function trim(x: Int16Array, skip: number): Int16Array {
  return x.subarray(skip, x.length - skip);
}
