import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { BusinessHours } from "../../../workers/api/schemas/time-conditions.js";
import {
  attributeValue,
  brazilMovableHolidays,
  conditionMatches,
  evaluateBusinessHours,
  HOLIDAY_PRESETS,
  localTime,
  type LocalTime,
} from "../../../workers/handoff/business-hours.js";

const SP = "America/Sao_Paulo";
const at = (iso: string) => Date.parse(iso);
/** A LocalTime from a civil date and time (the zone does not matter for conditionMatches). */
const lt = (date: string, time = "12:00:00"): LocalTime => localTime(Date.parse(`${date}T${time}Z`), "UTC");

describe("localTime", () => {
  it("reads the wall clock of the zone", () => {
    expect(localTime(at("2026-11-23T12:34:56Z"), SP)).toEqual({ year: 2026, mon: 11, mday: 23, yday: 327, wday: 2, hour: 9, minute: 34, second: 56 });
  });

  it("follows Sao Paulo's DST before 2019 and none after (the rule change)", () => {
    // 2018-12-10 was in DST (UTC-2): 10:30Z is 08:30 local.
    expect(localTime(at("2018-12-10T10:30:00Z"), SP)).toMatchObject({ hour: 8, minute: 30 });
    // 2019-12-10: no DST any more (UTC-3): the same UTC time is 07:30.
    expect(localTime(at("2019-12-10T10:30:00Z"), SP)).toMatchObject({ hour: 7, minute: 30 });
    // July is UTC-3 in both regimes.
    expect(localTime(at("2018-07-10T10:30:00Z"), SP)).toMatchObject({ hour: 7, minute: 30 });
  });

  it("crosses the date line of the zone (UTC past midnight, Sao Paulo still yesterday)", () => {
    expect(localTime(at("2026-01-01T02:00:00Z"), SP)).toMatchObject({ year: 2025, mon: 12, mday: 31, yday: 365, wday: 4, hour: 23 });
  });

  it("matches Date's own weekday and day of year for every day of 2024-2026", () => {
    for (let t = at("2024-01-01T12:00:00Z"); t < at("2027-01-01T00:00:00Z"); t += 86_400_000) {
      const d = new Date(t);
      const l = localTime(t, "UTC");
      expect(l.wday).toBe(d.getUTCDay() + 1);
      expect(l.yday).toBe(Math.round((t - Date.UTC(d.getUTCFullYear(), 0, 1, 12)) / 86_400_000) + 1);
    }
  });
});

describe("attribute values as FreeSWITCH computes them", () => {
  it("minute-of-day is hour*60+minute+1", () => {
    expect(attributeValue("minute-of-day", lt("2026-03-02", "00:00:00"))).toBe(1);
    expect(attributeValue("minute-of-day", lt("2026-03-02", "09:00:00"))).toBe(541);
    expect(attributeValue("minute-of-day", lt("2026-03-02", "16:59:00"))).toBe(1020);
    expect(attributeValue("minute-of-day", lt("2026-03-02", "23:59:59"))).toBe(1440);
  });

  it("week is yday/7+1", () => {
    expect(attributeValue("week", lt("2026-01-01"))).toBe(1);
    expect(attributeValue("week", lt("2026-01-07"))).toBe(1);
    expect(attributeValue("week", lt("2026-01-08"))).toBe(2);
    expect(attributeValue("week", lt("2024-12-31"))).toBe(53); // yday 366
  });

  it("mweek counts weeks that start on Sunday", () => {
    // November 2026 starts on a Sunday: 1-7 are week 1.
    expect(attributeValue("mweek", lt("2026-11-01"))).toBe(1);
    expect(attributeValue("mweek", lt("2026-11-07"))).toBe(1);
    expect(attributeValue("mweek", lt("2026-11-08"))).toBe(2);
    // August 2026 starts on a Saturday: the 1st is week 1 alone, Sunday the 2nd starts week 2.
    expect(attributeValue("mweek", lt("2026-08-01"))).toBe(1);
    expect(attributeValue("mweek", lt("2026-08-02"))).toBe(2);
    expect(attributeValue("mweek", lt("2026-08-31"))).toBe(6);
  });

  it("mweek agrees with a week count by brute force for every day of 2026", () => {
    for (let t = at("2026-01-01T12:00:00Z"); t < at("2027-01-01T00:00:00Z"); t += 86_400_000) {
      const l = localTime(t, "UTC");
      const first = new Date(Date.UTC(l.year, l.mon - 1, 1)).getUTCDay();
      expect(attributeValue("mweek", l)).toBe(Math.floor((l.mday - 1 + first) / 7) + 1);
    }
  });
});

describe("conditionMatches", () => {
  const mon = lt("2026-11-23", "10:00:00"); // a Monday

  it.each([
    [{ wday: "2" }, true],
    [{ wday: "mon" }, true],
    [{ wday: "mon-fri" }, true],
    [{ wday: "2-6" }, true],
    [{ wday: "1,7" }, false],
    [{ wday: "7-2" }, true], // Sat..Mon wraps
    [{ wday: "6-1" }, false], // Fri..Sun wraps, Monday outside
    [{ mon: "11" }, true],
    [{ mon: "12-2" }, false],
    [{ mday: "20-25" }, true],
    [{ year: "2026" }, true],
    [{ year: "2025,2027" }, false],
    [{ yday: "327" }, true],
    [{ hour: "10" }, true],
    [{ hour: "18-8" }, false],
    [{ minute: "0" }, true],
    [{ "minute-of-day": "541-1020" }, true],
    [{ "minute-of-day": "1081-480" }, false],
    [{ "time-of-day": "08:00-18:00" }, true],
    [{ "time-of-day": "10:00:01-11:00" }, false],
    [{ "time-of-day": "07:00-08:00,09:59-10:00" }, true],
    [{ "date-time": "2026-11-23 09:00~2026-11-23 10:00" }, false], // end excluded
    [{ "date-time": "2026-11-23 10:00~2026-11-23 10:01" }, true],
    [{ wday: "2-6", "time-of-day": "08:00-18:00", mon: "11" }, true],
    [{ wday: "2-6", "time-of-day": "08:00-18:00", mon: "12" }, false],
  ] as const)("%j at Monday 2026-11-23 10:00 -> %s", (condition, expected) => {
    expect(conditionMatches(condition, mon)).toBe(expected);
  });

  it("time-of-day includes both ends, to the second", () => {
    const c = { "time-of-day": "08:00-18:00" };
    expect(conditionMatches(c, lt("2026-11-23", "07:59:59"))).toBe(false);
    expect(conditionMatches(c, lt("2026-11-23", "08:00:00"))).toBe(true);
    expect(conditionMatches(c, lt("2026-11-23", "18:00:00"))).toBe(true);
    expect(conditionMatches(c, lt("2026-11-23", "18:00:01"))).toBe(false);
  });

  it("a reversed time-of-day crosses midnight", () => {
    const c = { "time-of-day": "22:00-06:00" };
    for (const [time, open] of [["21:59:59", false], ["22:00:00", true], ["23:59:59", true], ["00:00:00", true], ["06:00:00", true], ["06:00:01", false], ["12:00:00", false]] as const) {
      expect(conditionMatches(c, lt("2026-11-23", time)), time).toBe(open);
    }
  });

  it("a reversed minute-of-day and hour wrap the same way", () => {
    for (let h = 0; h < 24; h++) {
      const t = lt("2026-11-23", `${String(h).padStart(2, "0")}:30:00`);
      expect(conditionMatches({ hour: "18-8" }, t), `hour ${h}`).toBe(h >= 18 || h <= 8);
      expect(conditionMatches({ "minute-of-day": "1081-480" }, t), `mod ${h}`).toBe(h * 60 + 31 >= 1081 || h * 60 + 31 <= 480);
    }
  });

  it("a reversed wday range equals its two halves, for every range and day", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 6 }), (a, b, day) => {
        const t = lt(`2026-11-${String(22 + day).padStart(2, "0")}`); // Sunday 22nd .. Saturday 28th
        const expected = a <= b ? t.wday >= a && t.wday <= b : t.wday >= a || t.wday <= b;
        return conditionMatches({ wday: `${a}-${b}` }, t) === expected;
      }),
    );
  });

  it("lists mix values and ranges", () => {
    const c = { mday: "1,5-7,30-2" };
    const hits = Array.from({ length: 31 }, (_, i) => i + 1).filter((d) => conditionMatches(c, lt(`2026-01-${String(d).padStart(2, "0")}`)));
    expect(hits).toEqual([1, 2, 5, 6, 7, 30, 31]);
  });

  it("an unknown attribute or a bad value never opens", () => {
    expect(conditionMatches({ moon: "full" }, mon)).toBe(false);
    expect(conditionMatches({ wday: "funday" }, mon)).toBe(false);
    expect(conditionMatches({ "time-of-day": "8-18" }, mon)).toBe(false);
  });
});

describe("evaluateBusinessHours (the demo secretary's hours)", () => {
  const hours: BusinessHours = {
    timeZone: SP,
    groups: [
      { wday: "2-6", "time-of-day": "08:00-18:00" },
      { wday: "7", "time-of-day": "09:00-12:00" },
    ],
    holidays: { christmas_day: { mday: "25", mon: "12" }, new_years_day: { mday: "1", mon: "1" } },
  };

  it.each([
    ["2026-11-23T11:00:00Z", true, "Monday 08:00 local"],
    ["2026-11-23T10:59:59Z", false, "Monday 07:59:59 local"],
    ["2026-11-23T21:00:00Z", true, "Monday 18:00 local"],
    ["2026-11-23T21:00:01Z", false, "Monday 18:00:01 local"],
    ["2026-11-28T12:00:00Z", true, "Saturday 09:00"],
    ["2026-11-28T15:00:01Z", false, "Saturday 12:00:01"],
    ["2026-11-29T15:00:00Z", false, "Sunday"],
    ["2026-11-24T02:00:00Z", false, "Monday 23:00 local, Tuesday in UTC"],
  ] as const)("%s -> open %s (%s)", (iso, open, _why) => {
    expect(evaluateBusinessHours(hours, at(iso)).open).toBe(open);
  });

  it("a holiday closes an otherwise open moment, and says which", () => {
    const v = evaluateBusinessHours(hours, at("2026-12-25T13:00:00Z")); // a Friday, 10:00 local
    expect(v).toMatchObject({ open: false, holiday: "christmas_day", timeZone: SP, local: "2026-12-25 10:00" });
  });

  it("Sao Paulo's old DST moved the opening hour; the current rules do not", () => {
    // 10:30Z on a Monday in December: 08:30 under DST (2018), 07:30 without (2019 on).
    expect(evaluateBusinessHours(hours, at("2018-12-10T10:30:00Z")).open).toBe(true);
    expect(evaluateBusinessHours(hours, at("2019-12-09T10:30:00Z")).open).toBe(false);
    expect(evaluateBusinessHours(hours, at("2025-12-08T10:30:00Z")).open).toBe(false);
  });

  it("no business hours configured means always open", () => {
    expect(evaluateBusinessHours(null, at("2026-11-29T03:00:00Z")).open).toBe(true);
  });

  it("a night shift across midnight in another zone", () => {
    const night: BusinessHours = { timeZone: "Asia/Tokyo", groups: [{ "time-of-day": "22:00-06:00", wday: "2-6" }] };
    expect(evaluateBusinessHours(night, at("2026-11-23T14:00:00Z")).open).toBe(true); // Mon 23:00 JST
    expect(evaluateBusinessHours(night, at("2026-11-23T20:00:00Z")).open).toBe(true); // Tue 05:00 JST
    expect(evaluateBusinessHours(night, at("2026-11-23T22:00:00Z")).open).toBe(false); // Tue 07:00 JST
  });
});

describe("holiday presets", () => {
  const open: BusinessHours = { timeZone: SP, groups: [{ hour: "0-23" }] };
  const withPresets = (holidays: Record<string, Record<string, string>>): BusinessHours => ({ ...open, holidays });

  it("Brazil's fixed national holidays close the day, all day, in the secretary's zone", () => {
    const h = withPresets(HOLIDAY_PRESETS.br);
    expect(evaluateBusinessHours(h, at("2026-09-07T03:00:00Z"))).toMatchObject({ open: false, holiday: "independencia" }); // 00:00 local
    expect(evaluateBusinessHours(h, at("2026-09-08T02:59:59Z"))).toMatchObject({ open: false }); // 23:59:59 local
    expect(evaluateBusinessHours(h, at("2026-09-08T03:00:00Z")).open).toBe(true);
    expect(evaluateBusinessHours(h, at("2026-11-20T15:00:00Z"))).toMatchObject({ holiday: "consciencia_negra" });
  });

  it("US floating holidays fall on the right Monday/Thursday for 2020-2030", () => {
    const h = withPresets(HOLIDAY_PRESETS.us);
    const known = {
      2024: { labor_day: "2024-09-02", thanksgiving_day: "2024-11-28", memorial_day: "2024-05-27" },
      2026: { labor_day: "2026-09-07", thanksgiving_day: "2026-11-26", memorial_day: "2026-05-25" },
      2030: { labor_day: "2030-09-02", thanksgiving_day: "2030-11-28", memorial_day: "2030-05-27" },
    };
    for (const days of Object.values(known)) {
      for (const [name, date] of Object.entries(days)) {
        expect(evaluateBusinessHours({ ...h, timeZone: "UTC" }, at(`${date}T12:00:00Z`)).holiday).toBe(name);
        const nextWeek = new Date(at(`${date}T12:00:00Z`) + 7 * 86_400_000).toISOString();
        expect(evaluateBusinessHours({ ...h, timeZone: "UTC" }, at(nextWeek)).holiday).toBeUndefined();
      }
    }
  });

  it("Easter-bound Brazilian holidays per year", () => {
    expect(brazilMovableHolidays(2026)).toEqual({
      carnaval_2026: { "date-time": "2026-02-16 00:00~2026-02-18 00:00" },
      sexta_feira_santa_2026: { "date-time": "2026-04-03 00:00~2026-04-04 00:00" },
      corpus_christi_2026: { "date-time": "2026-06-04 00:00~2026-06-05 00:00" },
    });
    expect(brazilMovableHolidays(2025).sexta_feira_santa_2025).toEqual({ "date-time": "2025-04-18 00:00~2025-04-19 00:00" });
    const h = withPresets(brazilMovableHolidays(2026));
    expect(evaluateBusinessHours(h, at("2026-02-17T23:00:00Z")).holiday).toBe("carnaval_2026"); // Tuesday 20:00 local
    expect(evaluateBusinessHours(h, at("2026-02-18T03:00:00Z")).open).toBe(true); // Ash Wednesday 00:00
  });
});
