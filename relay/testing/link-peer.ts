/**
 * One end of the link in a test, over a `ws` socket: it keeps what the
 * other end sends, decoded with the shared codec, and sends control
 * messages, audio or raw bytes. The cloud stub (relay tests) and the raw
 * relay (fault tests against the Worker) add their own handshake on top.
 */
import type { WebSocket } from "ws";
import {
  encodeLinkMessage,
  LinkDecoder,
  type AudioFrame,
  type ControlInput,
  type ControlOf,
  type ControlType,
  type LinkItem,
} from "../../shared/link/index.js";
import { waitFor } from "./wait.js";

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface LinkPeerOptions {
  /** How long `closed()` waits unless told otherwise. */
  closeTimeoutMs: number;
  /** What `closed()` says it waited for when it gives up. */
  closeWhat: string;
  /**
   * true: a binary message that does not decode is counted in
   * `decodeErrors` and dropped. false: the decode error is thrown from the
   * socket's message handler, which fails the test run.
   */
  countDecodeErrors: boolean;
}

export class LinkPeer {
  /** Every item received, in order (payloads copied). */
  readonly items: LinkItem[] = [];
  /** Items per binary message, to count how audio was bundled. */
  readonly messages: LinkItem[][] = [];
  closeInfo: CloseInfo | undefined;
  decodeErrors = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly peerOptions: LinkPeerOptions,
  ) {
    ws.on("message", (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on("close", (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
    ws.on("error", () => undefined);
  }

  controls<T extends ControlType>(type: T): ControlOf<T>[] {
    return this.items.flatMap((i) => (i.kind === "control" && i.message.type === type ? [i.message as ControlOf<T>] : []));
  }

  /** Audio frames received, for one slot or all. */
  frames(slot?: number): AudioFrame[] {
    return this.items.flatMap((i) => (i.kind === "audio" && (slot === undefined || i.frame.slot === slot) ? [i.frame] : []));
  }

  sendControl(...messages: ControlInput[]): void {
    this.ws.send(encodeLinkMessage(messages));
  }

  sendFrames(frames: AudioFrame[]): void {
    this.ws.send(encodeLinkMessage([], frames));
  }

  /** Sends bytes (binary) or a string (text) as they are. */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== "string" });
  }

  /** Waits until the other end closed the socket (or it was cut). */
  async closed(timeoutMs = this.peerOptions.closeTimeoutMs): Promise<CloseInfo> {
    await waitFor(() => this.closeInfo !== undefined, { timeoutMs, what: this.peerOptions.closeWhat });
    return this.closeInfo as CloseInfo;
  }

  /** Handles one message from the other end: by default keeps binary ones and ignores text. */
  protected onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) this.receive(data);
  }

  /** Decodes one binary message, keeps its items and returns them. */
  protected receive(data: Buffer): LinkItem[] {
    let items: LinkItem[];
    try {
      // Each message holds whole records, so a fresh decoder each time, like the hub's.
      items = new LinkDecoder().decodeMessage(data).map(copyItem);
    } catch (err) {
      if (!this.peerOptions.countDecodeErrors) throw err;
      this.decodeErrors++;
      return [];
    }
    this.messages.push(items);
    this.items.push(...items);
    return items;
  }
}

// The decoder's payloads may be views into the socket's buffer.
function copyItem(item: LinkItem): LinkItem {
  return item.kind === "audio" ? { kind: "audio", frame: { ...item.frame, payload: new Uint8Array(item.frame.payload) } } : item;
}
