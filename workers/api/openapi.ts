/**
 * The OpenAPI 3.1 document, generated from the very schemas the routes
 * validate with (zod 4's `z.toJSONSchema`). Routes register themselves in a
 * {@link RouteRegistry} as they are mounted; the document is built from it.
 */
import { z } from "zod";
import type { Access } from "./auth/principal.js";
import { Access as AccessRoles } from "./auth/principal.js";

export interface RouteDoc {
  method: "get" | "post" | "patch" | "put" | "delete";
  /** Hono path, `:id` style. */
  path: string;
  summary: string;
  tag: string;
  access: Access | "public";
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  status?: number;
}

export class RouteRegistry {
  readonly routes: RouteDoc[] = [];
  add(route: RouteDoc): void {
    this.routes.push(route);
  }
}

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

function schema(s: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const json = z.toJSONSchema(s, { io, unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

function queryParameters(query: z.ZodType): unknown[] {
  const json = schema(query, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    schema: s,
  }));
}

export function openApiDocument(registry: RouteRegistry, base = "/v1"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registry.routes) {
    const path = base + r.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const params: unknown[] = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string", format: "uuid" } }));
    if (r.access !== "public" && r.path !== "/tenants" && !r.path.startsWith("/tenants/")) {
      params.push({ name: "X-Tenant-Id", in: "header", required: false, description: "operators only: the tenant to act on", schema: { type: "string", format: "uuid" } });
    }
    if (r.query) params.push(...queryParameters(r.query));
    const status = String(r.status ?? 200);
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/[/:]+(\w)/g, (_, ch: string) => ch.toUpperCase())}`,
      parameters: params,
      responses: {
        [status]: r.response ? { description: "OK", content: { "application/json": { schema: schema(r.response, "output") } } } : { description: "No content" },
        default: { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
    if (r.access !== "public") {
      op.security = [{ bearer: [] }];
      op["x-roles"] = AccessRoles[r.access];
    } else {
      op.security = [];
    }
    if (r.body) op.requestBody = { required: true, content: { "application/json": { schema: schema(r.body, "input") } } };
    (paths[path] ??= {})[r.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Voice AI secretary: config API",
      version: "1.0.0",
      description: "Multi-tenant configuration of secretaries, providers, transfer rules, relays and conversations. Every request is scoped to the tenant of its token.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: { Error: schema(errorSchema, "output") },
    },
  };
}
