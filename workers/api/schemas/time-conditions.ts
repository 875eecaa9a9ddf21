/**
 * Syntax of business hours as FusionPBX time conditions (see FREESWITCH.md,
 * "Time conditions"): a group is a set of attributes that must all match;
 * a secretary is open when any group matches and no holiday does. Values are
 * lists and ranges (`2-6`, `1,3,5`); a reversed range wraps (`18-8`).
 *
 * This module only checks syntax and bounds, so that the API refuses what the
 * evaluator (the handoff policy) could not read. Pure: no clock, no I/O.
 */
import { z } from "zod";

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Inclusive bounds of the numeric attributes. */
export const NUMERIC_ATTRIBUTES = {
  year: [1970, 2999],
  yday: [1, 366],
  mon: [1, 12],
  mday: [1, 31],
  week: [1, 53],
  mweek: [1, 6],
  wday: [1, 7],
  hour: [0, 23],
  minute: [0, 59],
  "minute-of-day": [1, 1440],
} as const satisfies Record<string, readonly [number, number]>;
export type NumericAttribute = keyof typeof NUMERIC_ATTRIBUTES;

export const TIME_ATTRIBUTES = ["time-of-day", "date-time"] as const;
export const ATTRIBUTES = [...(Object.keys(NUMERIC_ATTRIBUTES) as NumericAttribute[]), ...TIME_ATTRIBUTES] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

function numericValue(attribute: NumericAttribute, token: string): number | undefined {
  if (attribute === "wday") {
    const day = WEEKDAYS.indexOf(token.toLowerCase() as (typeof WEEKDAYS)[number]);
    if (day >= 0) return day + 1;
  }
  return /^\d{1,4}$/.test(token) ? Number(token) : undefined;
}

/** Why `value` is not a valid list of values or ranges for `attribute`, or undefined if it is. */
export function numericListProblem(attribute: NumericAttribute, value: string): string | undefined {
  const [min, max] = NUMERIC_ATTRIBUTES[attribute];
  const items = value.split(",");
  if (items.length > 64) return "at most 64 items";
  for (const raw of items) {
    const item = raw.trim();
    const bounds = item.split("-");
    if (item === "" || bounds.length > 2) return `'${item}' is not a value or a range (like 2-6)`;
    for (const b of bounds) {
      const n = numericValue(attribute, b.trim());
      if (n === undefined) return `'${b.trim()}' is not a number${attribute === "wday" ? " or a day name (sun..sat)" : ""}`;
      if (n < min || n > max) return `${n} is outside ${min}-${max}`;
    }
  }
  return undefined;
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATE_TIME_RE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** `HH:MM[:SS]-HH:MM[:SS]`, comma-separated; a reversed range crosses midnight. */
export function timeOfDayProblem(value: string): string | undefined {
  for (const item of value.split(",")) {
    const parts = item.trim().split("-");
    if (parts.length !== 2 || !parts.every((p) => TIME_RE.test(p))) return `'${item.trim()}' is not HH:MM[:SS]-HH:MM[:SS]`;
  }
  return undefined;
}

/** `YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]`, comma-separated, start before end. */
export function dateTimeProblem(value: string): string | undefined {
  for (const item of value.split(",")) {
    const parts = item.trim().split("~");
    if (parts.length !== 2 || !parts.every((p) => DATE_TIME_RE.test(p))) return `'${item.trim()}' is not YYYY-MM-DD HH:MM~YYYY-MM-DD HH:MM`;
    const [from, to] = parts.map((p) => (p.length === 16 ? `${p}:00` : p)) as [string, string];
    if (from > to) return `'${item.trim()}' ends before it starts`;
  }
  return undefined;
}

export function attributeProblem(attribute: Attribute, value: string): string | undefined {
  if (attribute === "time-of-day") return timeOfDayProblem(value);
  if (attribute === "date-time") return dateTimeProblem(value);
  return numericListProblem(attribute, value);
}

/** An IANA time zone the runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z_+\-/0-9]{1,64}$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** One time condition: attributes that must all match. */
export const timeConditionSchema = z
  .record(z.string(), z.string().max(1000))
  .superRefine((group, ctx) => {
    const keys = Object.keys(group);
    if (keys.length === 0) ctx.addIssue({ code: "custom", message: "needs at least one attribute" });
    for (const key of keys) {
      if (!(ATTRIBUTES as readonly string[]).includes(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: `unknown attribute; use one of ${ATTRIBUTES.join(", ")}` });
        continue;
      }
      const problem = attributeProblem(key as Attribute, group[key]!);
      if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
    }
  });

export const businessHoursSchema = z.strictObject({
  timeZone: z.string().refine(isTimeZone, { message: "must be an IANA time zone like America/Sao_Paulo" }),
  /** Open when any group matches. */
  groups: z.array(timeConditionSchema).min(1).max(50),
  /** Closed when any holiday matches, e.g. `{"christmas_day": {"mday": "25", "mon": "12"}}`. */
  holidays: z
    .record(z.string().regex(/^[a-z0-9_]{1,64}$/, { message: "holiday names are lowercase words with _" }), timeConditionSchema)
    .refine((h) => Object.keys(h).length <= 100, { message: "at most 100 holidays" })
    .optional(),
});
export type BusinessHours = z.infer<typeof businessHoursSchema>;
