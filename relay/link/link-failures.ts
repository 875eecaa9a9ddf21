/**
 * What a lost or refused link means, for the log and /health. Pure: the
 * socket reports what happened, this says how loud to be and which code to
 * keep as the last error. Tests and dashboards match on the codes.
 */
import { CloseCode, CloseReason, LinkErrorCode } from "../../shared/link/index.js";

/** Codes for link failures the protocol has no code of its own for. */
export const LinkFailure = {
  HandshakeTimeout: "LINK_HANDSHAKE_TIMEOUT",
  Dead: "LINK_DEAD",
  UnexpectedText: "LINK_UNEXPECTED_TEXT",
  SocketError: "LINK_SOCKET_ERROR",
} as const;

/** How to report one failure. `code` undefined: keep the last error as it is. */
export interface FailureReport {
  code: string | undefined;
  level: "error" | "warn" | "debug";
  msg: string;
}

const TOKEN_REFUSED: Omit<FailureReport, "code"> = {
  level: "error",
  // An operator may fix the token in the cloud, so the relay keeps trying.
  msg: "the cloud refused the relay token (unauthorized): check RELAY_TOKEN; retrying with backoff",
};

/** Close reason of a 4401 on a live link whose token was revoked (workers/hub/link-connection.ts). */

/** The cloud (or the network) closed the socket with `code` and `reason`. */
export function describeClose(code: number, wasUp: boolean, reason = ""): FailureReport {
  switch (code) {
    case CloseCode.Unauthorized:
      if (reason === CloseReason.Revoked) {
        // Retrying stays within the backoff cap; the Worker refuses a revoked token without waking anything.
        return { code: LinkErrorCode.Unauthorized, level: "error", msg: "the cloud revoked this relay's token: issue a new one (POST /v1/relays) and set RELAY_TOKEN; retrying with backoff" };
      }
      return { code: LinkErrorCode.Unauthorized, ...TOKEN_REFUSED };
    case CloseCode.Replaced:
      return { code: "CLOSE_4409", level: "warn", msg: "replaced by a newer connection with this relay's token: is a second relay running with it?" };
    case CloseCode.VersionUnsupported:
      return { code: LinkErrorCode.VersionUnsupported, level: "error", msg: "the cloud does not speak this relay's protocol version" };
    case 1006:
      // No close frame. Before a welcome, a socket error has already said more.
      return wasUp ? { code: "CLOSE_1006", level: "warn", msg: "link closed" } : { code: undefined, level: "debug", msg: "link closed" };
    default:
      return { code: `CLOSE_${code}`, level: "warn", msg: "link closed" };
  }
}

/** The socket failed (connection refused, DNS, an HTTP answer instead of an upgrade, ...). */
export function describeSocketError(err: { message: string; code?: string }): FailureReport {
  const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
  if (status === "401" || status === "403") return { code: LinkErrorCode.Unauthorized, ...TOKEN_REFUSED };
  return { code: status ? `LINK_HTTP_${status}` : (err.code ?? LinkFailure.SocketError), level: "warn", msg: "link socket error" };
}
