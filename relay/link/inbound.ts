/**
 * Routes what the cloud sends, once the link is up, to the calls it is
 * about. A problem with one call ends that call only; nothing here throws
 * for anything the cloud sends (the caller still wraps each item).
 */
import { Consequence, Direction, LinkErrorCode, type ControlMessage, type LinkItem } from "../../shared/link/index.js";
import type { CallEntry, CallRegistry } from "../calls/registry.js";
import type { Logger } from "../log.js";
import type { CallEnd, CallHandler } from "./link-call.js";
import type { LinkCounters } from "./link-stats.js";

/** What routing needs from the link client. */
export interface InboundContext {
  readonly registry: CallRegistry<CallHandler>;
  readonly log: Logger;
  readonly counters: LinkCounters;
  /** Ends a call locally because the cloud said so (no call.end goes back). */
  endFromCloud(callId: string, end: CallEnd): void;
  /** Ends a call because the cloud sent something malformed for it: locally, and with call.end(code) to the cloud. */
  endForProtocolError(call: CallEntry<CallHandler>, code: string): void;
  /** Sends a control message not tied to a live call (a command.result for an unknown call). */
  sendControl(message: ControlMessage): void;
  /** Closes the link with 4400 and reconnects. */
  closeForProtocolError(code: string, message: string): void;
}

/** Handles one decoded item from a welcomed link. */
export function routeInbound(item: LinkItem, ctx: InboundContext): void {
  switch (item.kind) {
    case "audio": {
      const { frame } = item;
      if (frame.direction !== Direction.Down) {
        ctx.counters.ignoredFrames++;
        return;
      }
      const call = ctx.registry.atSlot(frame.slot);
      if (!call) {
        ctx.counters.unknownSlotFrames++;
        return;
      }
      ctx.counters.framesReceived++;
      deliver(ctx, call, "onAudio", () => call.handler.onAudio(frame));
      return;
    }
    case "error": {
      const { error } = item;
      ctx.counters.callErrors++;
      const call =
        (error.callId !== undefined ? ctx.registry.get(error.callId) : undefined) ??
        (error.slot !== undefined ? ctx.registry.atSlot(error.slot) : undefined);
      ctx.log.warn({ code: error.code, slot: error.slot, callId: error.callId ?? call?.info.callId, known: Boolean(call) }, "malformed message for one call from the cloud");
      if (call) ctx.endForProtocolError(call, error.code);
      return;
    }
    case "ignored":
      ctx.counters.ignoredRecords++;
      ctx.log.debug({ what: item.what }, "ignored a record from a newer cloud");
      return;
    case "control":
      routeControl(item.message, ctx);
      return;
  }
}

function routeControl(message: ControlMessage, ctx: InboundContext): void {
  switch (message.type) {
    case "call.end":
      ctx.endFromCloud(message.callId, { reason: message.reason, code: message.code, cause: message.cause });
      return;
    case "error":
      if (message.consequence === Consequence.CloseLink) {
        ctx.log.error({ code: message.code, detail: message.message }, "the cloud reported a link error");
        ctx.closeForProtocolError(message.code, "the cloud reported a close-link error");
      } else if (message.callId !== undefined) {
        ctx.log.warn({ code: message.code, callId: message.callId, detail: message.message }, "the cloud ended a call with an error");
        ctx.endFromCloud(message.callId, { reason: "cloud-error", code: message.code });
      } else {
        ctx.log.warn({ code: message.code, detail: message.message }, "the cloud reported an error for no call");
      }
      return;
    case "hello":
    case "welcome":
    case "call.start":
    case "call.resume":
    case "playback.event":
    case "command.result":
      // Messages only the relay sends (or a second welcome): harmless, noted.
      ctx.counters.unexpectedMessages++;
      ctx.log.warn({ type: message.type }, "ignored a message the cloud should not send");
      return;
    case "playback.clear":
    case "playback.mark":
    case "command":
    case "dtmf": {
      const call = ctx.registry.get(message.callId);
      if (call) {
        deliver(ctx, call, "onControl", () => call.handler.onControl(message));
        return;
      }
      ctx.counters.unknownCallMessages++;
      ctx.log.debug({ type: message.type, callId: message.callId }, "message for a call this relay does not have");
      if (message.type === "command") {
        // The cloud waits for a result; tell it now rather than let it time out.
        ctx.sendControl({
          type: "command.result",
          id: message.id,
          callId: message.callId,
          ok: false,
          error: { code: LinkErrorCode.UnknownCall, message: "no such call on this relay" },
        });
      }
      return;
    }
  }
}

/** Runs a call handler so that a bug in one call's handling reaches no other call. */
function deliver(ctx: InboundContext, call: CallEntry<CallHandler>, what: string, run: () => void): void {
  try {
    run();
  } catch (err) {
    ctx.counters.handlerErrors++;
    ctx.log.error({ err, callId: call.info.callId, handler: what }, "call handler failed");
  }
}
