/**
 * Matching phrases in what the caller said: case- and accent-insensitive,
 * whole words only ("pessoa" matches "Pessoa!" but not "pessoal"), and a
 * phrase of several words matches those words in a row. Transcripts of
 * Brazilian Portuguese come back with and without accents ("não"/"nao"),
 * so both sides are folded the same way. Pure.
 */

/** Lowercase, accents removed (NFD then combining marks dropped). */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** The words of `text`, folded: runs of letters and digits. */
export function words(text: string): string[] {
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Whether `phrase` occurs in `text` as whole words. An empty phrase never matches. */
export function containsPhrase(text: string, phrase: string): boolean {
  const needle = words(phrase);
  if (needle.length === 0) return false;
  const hay = words(text);
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** The first of `phrases` found in `text`, as configured, or undefined. */
export function findPhrase(text: string, phrases: readonly string[]): string | undefined {
  return phrases.find((p) => containsPhrase(text, p));
}
