/**
 * What the relay writes on an event socket, built from parts and checked:
 * one command line, optional `Name: value` lines, a blank line. Pure. No
 * part may hold CR, LF or NUL, so nothing can add a second command; the
 * `sendmsg` builders take only what the relay itself decides (an
 * allow-listed application, a file FreeSWITCH named).
 */
import { renderApi, type ApiCommand } from "./commands.js";

// eslint-disable-next-line no-control-regex
const LINE_BREAKERS = /[\r\n\u0000]/;

/** A command and its header lines, terminated. Throws TypeError on a line breaker in any part. */
export function encodeCommand(command: string, headers: readonly (readonly [string, string])[] = []): string {
  const parts = [command, ...headers.flatMap(([k, v]) => [k, v])];
  for (const part of parts) if (LINE_BREAKERS.test(part)) throw new TypeError("an event-socket command part holds a line break");
  return `${command}\n${headers.map(([k, v]) => `${k}: ${v}\n`).join("")}\n`;
}

/** `api <command>`: the reply is an `api/response`. */
export function apiCommand(command: ApiCommand): string {
  return encodeCommand(`api ${renderApi(command)}`);
}

/** `bgapi <command>` with our Job-UUID, so the BACKGROUND_JOB event can be matched. */
export function bgapiCommand(command: ApiCommand, jobUuid: string): string {
  return encodeCommand(`bgapi ${renderApi(command)}`, [["Job-UUID", jobUuid]]);
}

/**
 * A file mod_audio_stream wrote: an absolute path of plain characters with
 * an audio extension, nothing that `playback` would read as an instruction
 * (`${`, `{`, `!`, `::`, a space-separated second file, `..`).
 */
const PLAYABLE_FILE = /^\/[A-Za-z0-9_./-]{1,250}\.(?:r8|r16|r24|r32|wav|mp3|ogg|pcmu|pcma|tmp)$/;

/** True for a path the relay will hand to `playback`. */
export function isPlayableFile(path: string): boolean {
  return PLAYABLE_FILE.test(path) && !path.includes("..") && !path.includes("//");
}

/**
 * `sendmsg` that plays `file` after what is already queued: `event-lock`
 * makes FreeSWITCH run the applications one after another (without it a
 * second playback interrupts the first; shared/FREESWITCH.md).
 */
export function playbackMessage(file: string): string {
  if (!isPlayableFile(file)) throw new TypeError("not a file the relay plays");
  return encodeCommand("sendmsg", [
    ["call-command", "execute"],
    ["execute-app-name", "playback"],
    ["execute-app-arg", file],
    ["event-lock", "true"],
  ]);
}

/** `sendmsg` hangup, for when the inbound socket is down. */
export function hangupMessage(cause: string): string {
  if (!/^[A-Z_]{1,48}$/.test(cause)) throw new TypeError("not a hangup cause");
  return encodeCommand("sendmsg", [
    ["call-command", "hangup"],
    ["hangup-cause", cause],
  ]);
}

/**
 * Sent after `myevents` (which brings the channel's own events: DTMF,
 * hangup, playback) on the outbound socket. `myevents` does not deliver
 * mod_audio_stream's CUSTOM events, so they are named explicitly, CUSTOM
 * last: every token after it is read as a subclass.
 */
export const OUTBOUND_SUBSCRIPTION = encodeCommand(
  "event plain CUSTOM mod_audio_stream::connect mod_audio_stream::disconnect mod_audio_stream::json mod_audio_stream::play mod_audio_stream::error",
);
