/**
 * A raw relay for fault tests: a `ws` client that speaks the link to the
 * Worker with the shared codec, or anything else the test wants to send.
 * It decodes what the cloud sends and keeps it for assertions; a message
 * that does not decode is counted in `decodeErrors`.
 */
import WebSocket from "ws";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from "../../shared/link/index.js";
import { LinkPeer } from "../../relay/testing/link-peer.js";
import { waitFor } from "../../relay/testing/wait.js";

export class RawLink extends LinkPeer {
  private constructor(ws: WebSocket) {
    super(ws, { closeTimeoutMs: 10_000, closeWhat: "the cloud to close the link", countDecodeErrors: true });
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

  close(): void {
    this.ws.terminate();
  }
}
