/**
 * Errors of the link protocol. Each has a stable code (tests and logs match
 * on it, never on the message text) and a consequence: what the receiving
 * side must do about it. The codec only reports; the connection decides.
 */

/** What a protocol error costs: one call, or the whole link. */
export const Consequence = {
  /** The frame or message concerns one call; end that call, keep the link. */
  EndCall: "end-call",
  /** The byte stream itself is corrupt or the peer is not speaking the protocol. */
  CloseLink: "close-link",
} as const;
export type Consequence = (typeof Consequence)[keyof typeof Consequence];

/** Stable error codes. Never renumber or reuse a code with another meaning. */
export const LinkErrorCode = {
  BadMagic: "LINK_BAD_MAGIC",
  RecordTooLarge: "LINK_RECORD_TOO_LARGE",
  Truncated: "LINK_TRUNCATED",
  BundleMalformed: "LINK_BUNDLE_MALFORMED",
  BundleTooManyFrames: "LINK_BUNDLE_TOO_MANY_FRAMES",
  FrameBadDirection: "LINK_FRAME_BAD_DIRECTION",
  FrameBadEncoding: "LINK_FRAME_BAD_ENCODING",
  FrameBadSampleRate: "LINK_FRAME_BAD_SAMPLE_RATE",
  FramePayloadTooLarge: "LINK_FRAME_PAYLOAD_TOO_LARGE",
  FramePayloadMisaligned: "LINK_FRAME_PAYLOAD_MISALIGNED",
  ControlNotUtf8: "LINK_CONTROL_NOT_UTF8",
  ControlNotJson: "LINK_CONTROL_NOT_JSON",
  ControlInvalid: "LINK_CONTROL_INVALID",
  ControlTooLarge: "LINK_CONTROL_TOO_LARGE",
  VersionUnsupported: "LINK_VERSION_UNSUPPORTED",
  HandshakeRequired: "LINK_HANDSHAKE_REQUIRED",
  Unauthorized: "LINK_UNAUTHORIZED",
  UnknownCall: "LINK_UNKNOWN_CALL",
  CallRejected: "LINK_CALL_REJECTED",
  CallLimit: "LINK_CALL_LIMIT",
  SlotInUse: "LINK_SLOT_IN_USE",
  Internal: "LINK_INTERNAL",
} as const;
export type LinkErrorCode = (typeof LinkErrorCode)[keyof typeof LinkErrorCode];

const codeSet: ReadonlySet<string> = new Set(Object.values(LinkErrorCode));
/** True when `value` is one of our stable codes (for peers' error messages). */
export function isLinkErrorCode(value: string): value is LinkErrorCode {
  return codeSet.has(value);
}

/** The one error type the link codec throws. Anything else is a bug. */
export class LinkProtocolError extends Error {
  override readonly name = "LinkProtocolError";
  constructor(
    readonly code: LinkErrorCode,
    readonly consequence: Consequence,
    message: string,
    /** The call slot concerned, when the error is about one call's audio. */
    readonly slot?: number,
    /** The call UUID concerned, when a control message named one. */
    readonly callId?: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Shorthand for an error that closes the link. */
export function linkError(code: LinkErrorCode, message: string): LinkProtocolError {
  return new LinkProtocolError(code, Consequence.CloseLink, message);
}
