/**
 * The tenant's configuration tables as CRUD resources: secretaries, AI
 * providers, transfer destinations and rules, and the conversation records.
 */
import { invalidateTenantConfig } from "../../config/config-cache.js";
import type { ResourceSpec } from "../resource.js";
import { conversationCreate, conversationOutput, conversationQuery, conversationUpdate } from "../schemas/conversation.js";
import { providerCreate, providerOutput, providerUpdate } from "../schemas/provider.js";
import { secretaryCreate, secretaryOutput, secretaryUpdate } from "../schemas/secretary.js";
import { destinationCreate, destinationOutput, destinationUpdate, ruleCreate, ruleOutput, ruleUpdate } from "../schemas/transfer.js";
import { pageQuery, pick, uuid } from "../schemas/common.js";

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const secretaries: ResourceSpec = {
  path: "/secretaries",
  table: "secretaries",
  entity: "secretary",
  tag: "Secretaries",
  create: secretaryCreate,
  update: secretaryUpdate,
  output: secretaryOutput,
  toApi: (row) => pick(row, secretaryOutput),
  json: ["businessHours", "vad", "handoffKeywords"],
  query: pageQuery.extend({ extension: secretaryOutput.shape.extension.optional() }).strict(),
  filters: (sql, q) => (q.extension ? [sql`extension = ${q.extension as string}`] : []),
  orderBy: (sql) => sql`extension, id`,
  onWrite: invalidateTenantConfig,
};

export const providers: ResourceSpec = {
  path: "/providers",
  table: "ai_providers",
  entity: "provider",
  tag: "Providers",
  create: providerCreate,
  update: providerUpdate,
  output: providerOutput,
  toApi: (row) => ({ ...pick(row, providerOutput), hasApiKey: row.apiKeyCiphertext != null }),
  secrets: [{ field: "apiKey" }],
  query: pageQuery.extend({ kind: providerOutput.shape.kind.optional(), vendor: providerOutput.shape.vendor.optional() }).strict(),
  filters: (sql, q) => [...(q.kind ? [sql`kind = ${q.kind as string}`] : []), ...(q.vendor ? [sql`vendor = ${q.vendor as string}`] : [])],
  onWrite: invalidateTenantConfig,
  inUse: {
    count: async (tx, tenantId, id) => {
      const [row] = await tx<{ n: number }[]>`select count(*)::int as n from secretaries
        where tenant_id = ${tenantId} and (provider_id = ${id} or fallback_provider_id = ${id})`;
      return row!.n;
    },
    describe: (n) => `${plural(n, "secretary", "secretaries")} (as provider or fallback provider)`,
    forceEffect: "leaves those secretaries without it",
  },
};

export const transferDestinations: ResourceSpec = {
  path: "/transfer-destinations",
  table: "transfer_destinations",
  entity: "transfer destination",
  tag: "Transfers",
  create: destinationCreate,
  update: destinationUpdate,
  output: destinationOutput,
  toApi: (row) => pick(row, destinationOutput),
  onWrite: invalidateTenantConfig,
  inUse: {
    count: async (tx, tenantId, id) => {
      const [row] = await tx<{ n: number }[]>`select count(*)::int as n from transfer_rules where tenant_id = ${tenantId} and destination_id = ${id}`;
      return row!.n;
    },
    describe: (n) => plural(n, "transfer rule", "transfer rules"),
    forceEffect: "deletes those rules too",
  },
};

export const transferRules: ResourceSpec = {
  path: "/transfer-rules",
  table: "transfer_rules",
  entity: "transfer rule",
  tag: "Transfers",
  create: ruleCreate,
  update: ruleUpdate,
  output: ruleOutput,
  toApi: (row) => pick(row, ruleOutput),
  json: ["phrases"],
  query: pageQuery.extend({ secretaryId: uuid.optional() }).strict(),
  filters: (sql, q) => (q.secretaryId ? [sql`secretary_id = ${q.secretaryId as string}`] : []),
  orderBy: (sql) => sql`priority, department, id`,
  onWrite: invalidateTenantConfig,
};

export const conversations: ResourceSpec = {
  path: "/conversations",
  table: "conversations",
  entity: "conversation",
  tag: "Conversations",
  create: conversationCreate,
  update: conversationUpdate,
  output: conversationOutput,
  toApi: (row) => pick(row, conversationOutput),
  json: ["transcript"],
  query: conversationQuery,
  filters: (sql, q) => [
    ...(q.from ? [sql`started_at >= ${q.from as string}`] : []),
    ...(q.to ? [sql`started_at < ${q.to as string}`] : []),
    ...(q.caller ? [sql`caller like ${`%${escapeLike(q.caller as string)}%`}`] : []),
    ...(q.outcome ? [sql`outcome = ${q.outcome as string}`] : []),
    ...(q.secretaryId ? [sql`secretary_id = ${q.secretaryId as string}`] : []),
  ],
  orderBy: (sql) => sql`started_at desc, id`,
  access: { read: "read", write: "record", delete: "write" },
};

export const configResources = [secretaries, providers, transferDestinations, transferRules, conversations];
