/**
 * A raw relay for fault tests: a `ws` client that speaks the link to the
 * Worker with the shared codec, or anything else the test wants to send.
 * It decodes what the cloud sends and keeps it for assertions.
 */
import WebSocket from "ws";
import {
  encodeLinkMessage,
  LinkDecoder,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type AudioFrame,
  type ControlInput,
  type ControlOf,
  type ControlType,
  type LinkItem,
} from "../../shared/link/index.js";
import { waitFor } from "../../relay/testing/wait.js";

export class RawLink {
  readonly items: LinkItem[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  decodeErrors = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary) return;
      try {
        // The hub sends whole records per message: a fresh decoder each time, like the hub's.
        for (const item of new LinkDecoder().decodeMessage(data)) {
          this.items.push(item.kind === "audio" ? { kind: "audio", frame: { ...item.frame, payload: new Uint8Array(item.frame.payload) } } : item);
        }
      } catch {
        this.decodeErrors++;
      }
    });
    ws.on("close", (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
    ws.on("error", () => undefined);
  }

  /** Connects to `<base>/v1/relay/connect` with the token (no hello sent yet). */
  static async connect(base: URL | string, token: string): Promise<RawLink> {
    const url = new URL("/v1/relay/connect", base);
    url.protocol = "ws:";
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
    return new RawLink(ws);
  }

  /** Connects and completes the handshake. */
  static async up(base: URL | string, token: string): Promise<RawLink> {
    const link = await RawLink.connect(base, token);
    link.sendControl({ type: "hello", protocolVersion: PROTOCOL_VERSION, minProtocolVersion: MIN_PROTOCOL_VERSION, software: "fault-test/1", capabilities: [] });
    await waitFor(() => link.controls("welcome").length > 0 || link.closeInfo !== undefined, { timeoutMs: 10_000, what: "welcome" });
    if (link.closeInfo) throw new Error(`closed during the handshake: ${link.closeInfo.code}`);
    return link;
  }

  controls<T extends ControlType>(type: T): ControlOf<T>[] {
    return this.items.flatMap((i) => (i.kind === "control" && i.message.type === type ? [i.message as ControlOf<T>] : []));
  }

  frames(slot: number): AudioFrame[] {
    return this.items.flatMap((i) => (i.kind === "audio" && i.frame.slot === slot ? [i.frame] : []));
  }

  sendControl(...messages: ControlInput[]): void {
    this.ws.send(encodeLinkMessage(messages));
  }

  sendFrames(frames: AudioFrame[]): void {
    this.ws.send(encodeLinkMessage([], frames));
  }

  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== "string" });
  }

  async closed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closeInfo !== undefined, { timeoutMs, what: "the cloud to close the link" });
    return this.closeInfo as { code: number; reason: string };
  }

  close(): void {
    this.ws.terminate();
  }
}
