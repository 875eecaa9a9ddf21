/**
 * Keeps PCM16 chunks sample-aligned. mod_audio_stream sends whole samples,
 * but nothing in WebSocket guarantees it; if a chunk ever has an odd length
 * the last byte is the first half of a sample, so it waits for the next
 * chunk instead of shifting every later sample by one byte (which turns the
 * audio into noise). Pure.
 */
export class Pcm16Aligner {
  private carry: number | undefined;

  /** True while one byte waits for its other half. */
  get holding(): boolean {
    return this.carry !== undefined;
  }

  /** Returns the whole samples available after `chunk` (empty when none). */
  push(chunk: Uint8Array): Uint8Array {
    let bytes = chunk;
    if (this.carry !== undefined) {
      bytes = new Uint8Array(chunk.byteLength + 1);
      bytes[0] = this.carry;
      bytes.set(chunk, 1);
      this.carry = undefined;
    }
    if (bytes.byteLength % 2 === 1) {
      this.carry = bytes[bytes.byteLength - 1];
      bytes = bytes.subarray(0, bytes.byteLength - 1);
    }
    return bytes;
  }
}
