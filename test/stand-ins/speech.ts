/**
 * The stand-ins' voices: the speech fixtures at whatever rate and encoding a
 * vendor speaks, and what each scripted line says.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mulawEncode, alawEncode } from "../../shared/audio/g711.js";
import { pcm16FromBytes, pcm16ToBytes } from "../../shared/audio/pcm16.js";
import { Resampler } from "../../shared/audio/resampler.js";
import { parseWav } from "../../shared/audio/wav.js";

export const LINES = {
  "agent-greeting": "Olá! Você ligou para a empresa. Como posso ajudar?",
  "agent-transfer": "Claro! Vou transferir você agora para um atendente.",
  "caller-greeting": "Bom dia, eu gostaria de saber o horário de funcionamento de vocês.",
  "caller-support": "Estou com um problema na minha internet, preciso do suporte técnico.",
  "caller-interrupts": "Espera, espera, não é isso que eu quero.",
  "caller-wants-human": "Quero falar com um atendente, por favor.",
} as const;
export type Line = keyof typeof LINES;

const cache = new Map<string, Int16Array>();

/** The fixture's samples at `rate` (the fixtures are 16 kHz). */
export function speech(line: Line, rate: 8000 | 16000 | 24000): Int16Array {
  const key = `${line}@${rate}`;
  let s = cache.get(key);
  if (!s) {
    const wav = parseWav(new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${line}.wav`, import.meta.url)))));
    const pcm = pcm16FromBytes(wav.data);
    s = wav.sampleRate === rate ? pcm : new Resampler(wav.sampleRate, rate).process(pcm);
    cache.set(key, s);
  }
  return s;
}

/** The fixture as bytes in a vendor's encoding. */
export function speechBytes(line: Line, rate: 8000 | 16000 | 24000, encoding: "pcm16" | "pcmu" | "pcma" = "pcm16"): Uint8Array {
  const s = speech(line, rate);
  return encoding === "pcmu" ? mulawEncode(s) : encoding === "pcma" ? alawEncode(s) : pcm16ToBytes(s);
}

/** Splits `bytes` into chunks of `ms` of audio. */
export function chunks(bytes: Uint8Array, bytesPerMs: number, ms: number): Uint8Array[] {
  const size = Math.max(1, Math.round(bytesPerMs * ms));
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
