/**
 * Minimal RIFF/WAVE reader and writer for PCM16 mono/stereo: enough for test
 * fixtures, the demo call, and wrapping PCM for transcription APIs.
 */
export interface Pcm16Audio {
  sampleRate: number;
  channels: number;
  /** Little-endian PCM16 bytes, as they appear in the file. */
  data: Uint8Array;
}

export class WavFormatError extends Error {
  override readonly name = "WavFormatError";
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** Parses a PCM16 WAV file; throws {@link WavFormatError} for anything else. */
export function parseWav(file: Uint8Array): Pcm16Audio {
  if (file.byteLength < 12 || ascii(file, 0) !== "RIFF" || ascii(file, 8) !== "WAVE") {
    throw new WavFormatError("not a RIFF/WAVE file");
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 12;
  let format: { sampleRate: number; channels: number } | undefined;
  while (at + 8 <= file.byteLength) {
    const id = ascii(file, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (body + size > file.byteLength && id !== "data") throw new WavFormatError(`chunk ${id} runs past the end`);
    if (id === "fmt ") {
      // PCM's fmt body is 16 bytes; a shorter one would be read past its end.
      if (size < 16) throw new WavFormatError(`fmt chunk of ${size} bytes is too short`);
      const audioFormat = view.getUint16(body, true);
      const bits = view.getUint16(body + 14, true);
      if (audioFormat !== 1 || bits !== 16) throw new WavFormatError(`only PCM16 is supported (format ${audioFormat}, ${bits} bits)`);
      format = { channels: view.getUint16(body + 2, true), sampleRate: view.getUint32(body + 4, true) };
    } else if (id === "data") {
      if (!format) throw new WavFormatError("data chunk before fmt chunk");
      const end = Math.min(body + size, file.byteLength);
      return { ...format, data: file.slice(body, end - ((end - body) % 2)) };
    }
    at = body + size + (size % 2);
  }
  throw new WavFormatError("no data chunk");
}

/** Wraps PCM16 bytes in a WAV header. */
export function encodeWav(audio: Pcm16Audio): Uint8Array {
  const out = new Uint8Array(44 + audio.data.byteLength);
  const view = new DataView(out.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, "RIFF");
  view.setUint32(4, 36 + audio.data.byteLength, true);
  put(8, "WAVE");
  put(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, audio.channels, true);
  view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * audio.channels * 2, true);
  view.setUint16(32, audio.channels * 2, true);
  view.setUint16(34, 16, true);
  put(36, "data");
  view.setUint32(40, audio.data.byteLength, true);
  out.set(audio.data, 44);
  return out;
}
