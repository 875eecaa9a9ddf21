/**
 * Business hours with FusionPBX time-condition semantics (FREESWITCH.md,
 * "Time conditions"), evaluated the way FreeSWITCH's
 * switch_xml_std_datetime_check does, in the secretary's time zone:
 *
 * - every attribute of a condition must match; the secretary is open when
 *   any group matches and no holiday does;
 * - numeric lists and ranges are inclusive, and a reversed range wraps
 *   (`18-8` is 18..max or min..8), like switch_number_cmp / switch_dow_cmp;
 * - `minute-of-day` is hour*60+minute+1 (09:00-17:00 is `541-1020`);
 * - `time-of-day` compares seconds of the day, both ends included, and a
 *   reversed range crosses midnight (switch_tod_cmp);
 * - `date-time` is `start <= now < end` on the wall clock (switch_fulldate_cmp);
 * - `week` is yday/7+1 and `mweek` counts weeks that start on Sunday.
 *
 * The zone's rules come from Intl (full ICU in workerd and Node), so rule
 * changes like America/Sao_Paulo dropping DST in 2019 are followed.
 * Pure: the instant is passed in.
 */
import {
  NUMERIC_ATTRIBUTES,
  parseDateTime,
  parseNumericList,
  parseTimeOfDay,
  type BusinessHours,
  type NumericAttribute,
  type ValueRange,
} from "../api/schemas/time-conditions.js";

/** The broken-down local time FreeSWITCH matches against (its `struct tm`, 1-based where FusionPBX is). */
export interface LocalTime {
  year: number;
  /** 1..12 */
  mon: number;
  /** 1..31 */
  mday: number;
  /** 1..366 */
  yday: number;
  /** 1 = Sunday .. 7 = Saturday */
  wday: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock in `timeZone` at `instantMs`. Throws RangeError for an unknown zone. */
export function localTime(instantMs: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const year = parts.year!;
  const mon = parts.month!;
  const mday = parts.day!;
  // Day of the year and weekday from the civil date alone (UTC arithmetic on a date has no zone).
  const dayNumber = Date.UTC(year, mon - 1, mday) / 86_400_000;
  const yday = dayNumber - Date.UTC(year, 0, 1) / 86_400_000 + 1;
  const wday = ((((dayNumber + 4) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday (5)
  return { year, mon, mday, yday, wday, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

function inRange(r: ValueRange, v: number): boolean {
  return r.from <= r.to ? v >= r.from && v <= r.to : v >= r.from || v <= r.to;
}

/** The value FreeSWITCH compares for a numeric attribute. */
export function attributeValue(attribute: NumericAttribute, t: LocalTime): number {
  switch (attribute) {
    case "year":
      return t.year;
    case "yday":
      return t.yday;
    case "mon":
      return t.mon;
    case "mday":
      return t.mday;
    case "week":
      return Math.floor((t.yday - 1) / 7) + 1;
    case "mweek": {
      // switch_xml.c: the weekday of the 1st (0-6), then weeks starting on Sunday (1-6).
      const tmWday = t.wday - 1;
      const firstDow = (7 - ((t.mday - (tmWday + 1)) % 7)) % 7;
      return Math.ceil((t.mday + firstDow) / 7);
    }
    case "wday":
      return t.wday;
    case "hour":
      return t.hour;
    case "minute":
      return t.minute;
    case "minute-of-day":
      return t.hour * 60 + t.minute + 1;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Whether one condition (all of its attributes) matches `t`. An attribute that does not parse never matches. */
export function conditionMatches(condition: Record<string, string>, t: LocalTime): boolean {
  for (const [attribute, value] of Object.entries(condition)) {
    if (attribute === "time-of-day") {
      const ranges = parseTimeOfDay(value);
      const s = t.hour * 3600 + t.minute * 60 + t.second;
      if (typeof ranges === "string" || !ranges.some((r) => inRange(r, s))) return false;
    } else if (attribute === "date-time") {
      const ranges = parseDateTime(value);
      const now = `${pad(t.year, 4)}-${pad(t.mon)}-${pad(t.mday)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
      if (typeof ranges === "string" || !ranges.some((r) => now >= r.from && now < r.to)) return false;
    } else if (attribute in NUMERIC_ATTRIBUTES) {
      const a = attribute as NumericAttribute;
      const ranges = parseNumericList(a, value);
      if (typeof ranges === "string" || !ranges.some((r) => inRange(r, attributeValue(a, t)))) return false;
    } else {
      // Stored config passed the API's schema; anything else is unreadable, so it cannot open the doors.
      return false;
    }
  }
  return true;
}

export interface HoursVerdict {
  open: boolean;
  /** The holiday that closed an otherwise open moment. */
  holiday?: string;
  /** Local time as evaluated, for logs and the model (`check_business_hours`). */
  local: string;
  timeZone: string;
}

/**
 * Open or closed at `instantMs`. No business hours configured means always
 * open (the secretary's owner chose not to restrict transfers).
 */
export function evaluateBusinessHours(hours: BusinessHours | null, instantMs: number): HoursVerdict {
  const timeZone = hours?.timeZone ?? "UTC";
  const t = localTime(instantMs, timeZone);
  const local = `${pad(t.year, 4)}-${pad(t.mon)}-${pad(t.mday)} ${pad(t.hour)}:${pad(t.minute)}`;
  if (!hours) return { open: true, local, timeZone };
  for (const [name, condition] of Object.entries(hours.holidays ?? {})) {
    if (conditionMatches(condition, t)) return { open: false, holiday: name, local, timeZone };
  }
  return { open: hours.groups.some((g) => conditionMatches(g, t)), local, timeZone };
}

/**
 * Holiday presets, as FusionPBX stores them (`{"name": {attributes}}`), to
 * merge into `holidays`. Floating days use weekday + day-of-month ranges
 * rather than `mweek`, which counts Sunday-started weeks and misses
 * "first Monday" when the month starts on a Tuesday.
 */
export const HOLIDAY_PRESETS = {
  /** Brazil's national holidays on fixed dates (Carnaval, Good Friday and Corpus Christi move with Easter). */
  br: {
    confraternizacao_universal: { mday: "1", mon: "1" },
    tiradentes: { mday: "21", mon: "4" },
    dia_do_trabalho: { mday: "1", mon: "5" },
    independencia: { mday: "7", mon: "9" },
    nossa_senhora_aparecida: { mday: "12", mon: "10" },
    finados: { mday: "2", mon: "11" },
    proclamacao_da_republica: { mday: "15", mon: "11" },
    consciencia_negra: { mday: "20", mon: "11" },
    natal: { mday: "25", mon: "12" },
  },
  us: {
    new_years_day: { mday: "1", mon: "1" },
    martin_luther_king_jr_day: { wday: "2", mday: "15-21", mon: "1" },
    presidents_day: { wday: "2", mday: "15-21", mon: "2" },
    memorial_day: { wday: "2", mday: "25-31", mon: "5" },
    independence_day: { mday: "4", mon: "7" },
    labor_day: { wday: "2", mday: "1-7", mon: "9" },
    thanksgiving_day: { wday: "5", mday: "22-28", mon: "11" },
    christmas_day: { mday: "25", mon: "12" },
  },
} as const satisfies Record<string, Record<string, Record<string, string>>>;

/** Date-time conditions for the Easter-bound Brazilian holidays of `year` (Carnaval Monday/Tuesday, Good Friday, Corpus Christi). */
export function brazilMovableHolidays(year: number): Record<string, Record<string, string>> {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  const easter = Date.UTC(year, month - 1, day);
  const dayOf = (offset: number) => {
    const dt = new Date(easter + offset * 86_400_000);
    const from = `${pad(dt.getUTCFullYear(), 4)}-${pad(dt.getUTCMonth() + 1)}-${pad(dt.getUTCDate())} 00:00`;
    const next = new Date(easter + (offset + 1) * 86_400_000);
    return { "date-time": `${from}~${pad(next.getUTCFullYear(), 4)}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())} 00:00` };
  };
  return {
    [`carnaval_${year}`]: { "date-time": `${dayOf(-48)["date-time"].slice(0, 16)}~${dayOf(-47)["date-time"].slice(17)}` },
    [`sexta_feira_santa_${year}`]: dayOf(-2),
    [`corpus_christi_${year}`]: dayOf(60),
  };
}
