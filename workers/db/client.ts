/**
 * Postgres clients. In workerd a client must not outlive its request or
 * object: a client reused across requests can hang (porsager/postgres#865,
 * #1013), so callers create one per request (the API) or per object (the
 * CallSession) from the Hyperdrive binding. `sql.end()` is not called in
 * workerd: it leaves an unhandled "Stream was cancelled" rejection
 * (porsager/postgres#1202); the runtime closes the socket with the request.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

/** Columns come back camelCase and dynamic inserts/updates map camelCase keys to snake_case columns. */
export function createSql(connectionString: string, options: { max?: number } = {}): Sql {
  return postgres(connectionString, {
    max: options.max ?? 3,
    // Hyperdrive already pools; types are known (no array/enum extensions).
    fetch_types: false,
    // Column names only: postgres.camel would also rename keys inside jsonb
    // values (a holiday named christmas_day would come back as christmasDay).
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel } },
    onnotice: () => undefined,
    // Timestamps as ISO strings in JSON either way; Date objects are fine here.
    connect_timeout: 10,
  });
}

/** Postgres error codes the API turns into 4xx. */
export const PgCode = {
  UniqueViolation: "23505",
  ForeignKeyViolation: "23503",
  CheckViolation: "23514",
  InvalidTextRepresentation: "22P02",
  SerializationFailure: "40001",
} as const;

export interface PgError {
  code: string;
  constraint_name?: string;
  column_name?: string;
}

export function isPgError(err: unknown): err is PgError {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "PostgresError" && typeof (err as { code?: unknown }).code === "string";
}
