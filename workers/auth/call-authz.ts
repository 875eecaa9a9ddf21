/**
 * May this relay run this call? The hub asks before it routes a call to a
 * session. Placeholder that allows every call: issue 6 checks that the
 * secretary belongs to the relay's tenant (ARCHITECTURE.md, "Invariants").
 */
import type { ControlOf } from "../../shared/link/index.js";
import type { RelayIdentity } from "./relay-auth.js";

export type CallDecision = { allowed: true } | { allowed: false; reason: string };

export async function authorizeCall(_identity: RelayIdentity, _call: ControlOf<"call.start"> | ControlOf<"call.resume">): Promise<CallDecision> {
  return { allowed: true };
}
