/**
 * FreeSWITCH's side of the event-socket wire, as mod_event_socket writes it:
 * replies, api responses, `text/event-plain` events with URL-encoded header
 * values (raw bytes allowed, so a trunk's latin1 caller name stays latin1),
 * the disconnect notice, and a splitter for the commands a controller sends.
 */

/** A header value: text (UTF-8) or raw bytes (for values that are not UTF-8). */
export type HeaderValue = string | Buffer;

/** URL-encodes like switch_url_encode: everything but unreserved characters as %XX. */
export function urlEncode(value: HeaderValue): string {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  let out = "";
  for (const b of bytes) out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** `command/reply` with a Reply-Text, plus any extra (URL-encoded) headers. */
export function commandReply(text: string, extra: readonly [string, HeaderValue][] = []): Buffer {
  return Buffer.from(`Content-Type: command/reply\nReply-Text: ${text}\n${extra.map(([k, v]) => `${k}: ${urlEncode(v)}\n`).join("")}\n`, "latin1");
}

/** `api/response` carrying `body`. */
export function apiResponse(body: string): Buffer {
  const bytes = Buffer.from(body, "utf8");
  return Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${bytes.byteLength}\n\n`), bytes]);
}

/** An event in plain format, optionally with a body of its own. */
export function eventPlain(headers: readonly [string, HeaderValue][], body?: string): Buffer {
  let inner = headers.map(([k, v]) => `${k}: ${urlEncode(v)}\n`).join("");
  const bodyBytes = body === undefined ? undefined : Buffer.from(body, "utf8");
  inner += bodyBytes ? `Content-Length: ${bodyBytes.byteLength}\n\n` : "\n";
  const innerBytes = bodyBytes ? Buffer.concat([Buffer.from(inner, "latin1"), bodyBytes]) : Buffer.from(inner, "latin1");
  return Buffer.concat([Buffer.from(`Content-Length: ${innerBytes.byteLength}\nContent-Type: text/event-plain\n\n`), innerBytes]);
}

/** The notice FreeSWITCH sends an outbound socket when the call hangs up (`linger` set: it then waits). */
export function disconnectNotice(linger: boolean): Buffer {
  const text = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";
  const disposition = linger ? "Content-Disposition: linger\n" : "Content-Disposition: disconnect\n";
  return Buffer.from(`Content-Type: text/disconnect-notice\n${disposition}Content-Length: ${Buffer.byteLength(text)}\n\n${text}`);
}

/** One command from the controller: its first line and its `Name: value` lines. */
export interface SentCommand {
  line: string;
  headers: Map<string, string>;
}

/** Splits a controller's bytes into commands (each ends with a blank line); resumes across chunks. */
export class CommandSplitter {
  private pending = "";

  push(chunk: Buffer): SentCommand[] {
    this.pending += chunk.toString("latin1");
    const out: SentCommand[] = [];
    for (let end = this.pending.indexOf("\n\n"); end >= 0; end = this.pending.indexOf("\n\n")) {
      const block = this.pending.slice(0, end).replace(/^\n+/, "");
      this.pending = this.pending.slice(end + 2);
      if (!block) continue;
      const [line = "", ...rest] = block.split("\n");
      const headers = new Map<string, string>();
      for (const h of rest) {
        const colon = h.indexOf(":");
        if (colon > 0) headers.set(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
      }
      out.push({ line, headers });
    }
    return out;
  }
}
