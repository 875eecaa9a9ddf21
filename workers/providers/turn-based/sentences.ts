/**
 * Cuts streamed LLM text into sentences, so speech for the first sentence
 * can start while the rest of the answer is still being written. Pure.
 */
export class SentenceSplitter {
  private buf = "";

  /** Adds a text delta; returns the sentences it completed. */
  push(delta: string): string[] {
    this.buf += delta;
    const out: string[] = [];
    // A sentence ends at . ! ? … (possibly repeated or closed by a quote) followed by whitespace.
    const re = /[.!?…]+["'”»)]*\s+/g;
    let last = 0;
    for (let m = re.exec(this.buf); m; m = re.exec(this.buf)) {
      const s = this.buf.slice(last, m.index + m[0].length).trim();
      if (s.length >= 2) {
        out.push(s);
        last = m.index + m[0].length;
      }
    }
    this.buf = this.buf.slice(last);
    return out;
  }

  /** What is left at the end of the stream. */
  flush(): string[] {
    const s = this.buf.trim();
    this.buf = "";
    return s ? [s] : [];
  }
}
