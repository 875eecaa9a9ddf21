/**
 * Syntax of business hours as FusionPBX time conditions (see FREESWITCH.md,
 * "Time conditions"): a group is a set of attributes that must all match;
 * a secretary is open when any group matches and no holiday does. Values are
 * lists and ranges (`2-6`, `1,3,5`); a reversed range wraps (`18-8`).
 *
 * This module parses syntax and bounds, for the API (which refuses what the
 * evaluator could not read) and for the evaluator itself
 * (workers/handoff/business-hours.ts), so both read values the same way.
 * Pure: no clock, no I/O.
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

/** An inclusive range of values; `from > to` wraps (FreeSWITCH: `18-8` is 18..max and min..8). */
export interface ValueRange {
  from: number;
  to: number;
}

/**
 * The values or ranges of `value` for `attribute`, or why it is not a valid list.
 * One parser for the API's validation and for the evaluator (workers/handoff/business-hours.ts).
 */
export function parseNumericList(attribute: NumericAttribute, value: string): ValueRange[] | string {
  const [min, max] = NUMERIC_ATTRIBUTES[attribute];
  const items = value.split(",");
  if (items.length > 64) return "at most 64 items";
  const ranges: ValueRange[] = [];
  for (const raw of items) {
    const item = raw.trim();
    const bounds = item.split("-");
    if (item === "" || bounds.length > 2) return `'${item}' is not a value or a range (like 2-6)`;
    const values: number[] = [];
    for (const b of bounds) {
      const n = numericValue(attribute, b.trim());
      if (n === undefined) return `'${b.trim()}' is not a number${attribute === "wday" ? " or a day name (sun..sat)" : ""}`;
      if (n < min || n > max) return `${n} is outside ${min}-${max}`;
      values.push(n);
    }
    ranges.push({ from: values[0]!, to: values[values.length - 1]! });
  }
  return ranges;
}

/** Why `value` is not a valid list of values or ranges for `attribute`, or undefined if it is. */
export function numericListProblem(attribute: NumericAttribute, value: string): string | undefined {
  const parsed = parseNumericList(attribute, value);
  return typeof parsed === "string" ? parsed : undefined;
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATE_TIME_RE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

const secondsOfDay = (m: RegExpExecArray) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);

/** `HH:MM[:SS]-HH:MM[:SS]`, comma-separated, as seconds of the day; a reversed range crosses midnight. */
export function parseTimeOfDay(value: string): ValueRange[] | string {
  const ranges: ValueRange[] = [];
  for (const item of value.split(",")) {
    const parts = item.trim().split("-").map((p) => TIME_RE.exec(p));
    if (parts.length !== 2 || !parts[0] || !parts[1]) return `'${item.trim()}' is not HH:MM[:SS]-HH:MM[:SS]`;
    ranges.push({ from: secondsOfDay(parts[0]), to: secondsOfDay(parts[1]) });
  }
  return ranges;
}

export function timeOfDayProblem(value: string): string | undefined {
  const parsed = parseTimeOfDay(value);
  return typeof parsed === "string" ? parsed : undefined;
}

/** A wall-clock moment as `YYYY-MM-DD HH:MM:SS`, which sorts like time. */
export interface WallClockRange {
  from: string;
  to: string;
}

/** `YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]`, comma-separated, start before end. */
export function parseDateTime(value: string): WallClockRange[] | string {
  const ranges: WallClockRange[] = [];
  for (const item of value.split(",")) {
    const parts = item.trim().split("~");
    if (parts.length !== 2 || !parts.every((p) => DATE_TIME_RE.test(p))) return `'${item.trim()}' is not YYYY-MM-DD HH:MM~YYYY-MM-DD HH:MM`;
    const [from, to] = parts.map((p) => (p.length === 16 ? `${p}:00` : p)) as [string, string];
    if (from > to) return `'${item.trim()}' ends before it starts`;
    ranges.push({ from, to });
  }
  return ranges;
}

export function dateTimeProblem(value: string): string | undefined {
  const parsed = parseDateTime(value);
  return typeof parsed === "string" ? parsed : undefined;
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
