/** Tenants, relays and the tenant's OmniPlay settings. */
import { z } from "zod";
import { httpUrl, name, pageQuery, secretInput, text, timestamps, uuid } from "./common.js";

const tenantFields = {
  name,
  slug: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: "must be lowercase letters, digits and '-'" }),
  status: z.enum(["active", "suspended"]),
};
export const tenantCreate = z.strictObject({ name: tenantFields.name, slug: tenantFields.slug, status: tenantFields.status.optional() });
export const tenantUpdate = tenantCreate.partial();
export const tenantOutput = z.object({ id: uuid, ...tenantFields, version: z.number().int(), ...timestamps });

export const relayCreate = z.strictObject({ name });
export const relayUpdate = relayCreate.partial();
export const relayOutput = z.object({
  id: uuid,
  name: z.string(),
  /** The token's first characters, to tell tokens apart. */
  tokenHint: z.string(),
  lastSeenAt: z.iso.datetime().nullable(),
  softwareVersion: z.string().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  version: z.number().int(),
  ...timestamps,
});
/** Returned once, when the relay is created: the token is not stored and cannot be shown again. */
export const relayIssued = z.object({ relay: relayOutput, token: z.string() });
export const relayQuery = pageQuery.extend({ includeRevoked: z.enum(["true", "false"]).default("false") }).strict();

export const omniplayPut = z.strictObject({
  baseUrl: httpUrl,
  /** Write-only: stored encrypted, never returned. Omit to keep the current one. */
  serviceToken: secretInput.optional(),
});
export const omniplayOutput = z.object({
  baseUrl: z.string(),
  hasServiceToken: z.boolean(),
  serviceTokenLast4: z.string().nullable(),
  version: z.number().int(),
  ...timestamps,
});

export const auditQuery = pageQuery
  .extend({
    entity: text(64).optional(),
    entityId: z.string().max(64).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export const auditOutput = z.object({
  id: z.number().int(),
  actorSub: z.string(),
  actorRole: z.string(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  at: z.iso.datetime(),
});
