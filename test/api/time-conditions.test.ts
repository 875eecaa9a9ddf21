import { describe, expect, it } from "vitest";
import { attributeProblem, businessHoursSchema, isTimeZone } from "../../workers/api/schemas/time-conditions.js";

describe("time condition syntax (FusionPBX)", () => {
  it.each([
    ["wday", "2-6"],
    ["wday", "mon-fri"],
    ["wday", "1,7"],
    ["wday", "7-2"],
    ["minute-of-day", "541-1020"],
    ["minute-of-day", "1081-480"],
    ["hour", "18-8"],
    ["mon", "12"],
    ["mday", "1-31"],
    ["year", "2026"],
    ["yday", "366"],
    ["week", "53"],
    ["mweek", "1-6"],
    ["minute", "0-59"],
    ["time-of-day", "08:00-18:00"],
    ["time-of-day", "22:00-06:00"],
    ["time-of-day", "08:00:00-12:00:30,13:00-18:00"],
    ["date-time", "2026-12-24 18:00~2026-12-26 08:00"],
  ] as const)("accepts %s=%s", (attribute, value) => {
    expect(attributeProblem(attribute, value)).toBeUndefined();
  });

  it.each([
    ["wday", "0"],
    ["wday", "8"],
    ["wday", "funday"],
    ["wday", "2--6"],
    ["wday", ""],
    ["wday", "1,,2"],
    ["minute-of-day", "0"],
    ["minute-of-day", "1441"],
    ["hour", "24"],
    ["mon", "13"],
    ["mday", "32"],
    ["time-of-day", "8:00-18:00"],
    ["time-of-day", "08:00"],
    ["time-of-day", "24:00-25:00"],
    ["time-of-day", "08:60-09:00"],
    ["date-time", "2026-12-24~2026-12-26"],
    ["date-time", "2026-12-26 08:00~2026-12-24 18:00"],
    ["date-time", "2026-13-01 00:00~2026-13-02 00:00"],
  ] as const)("refuses %s=%s", (attribute, value) => {
    expect(attributeProblem(attribute, value)).toBeTypeOf("string");
  });

  it("checks time zones against the runtime's IANA data", () => {
    expect(isTimeZone("America/Sao_Paulo")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("America/Sao_Paulo; drop table")).toBe(false);
  });

  it("names the failing attribute of the failing group", () => {
    const result = businessHoursSchema.safeParse({
      timeZone: "America/Sao_Paulo",
      groups: [{ wday: "2-6", "time-of-day": "08:00-18:00" }, { wday: "9" }],
      holidays: { christmas_day: { mday: "25", mon: "12" }, bad: { tide: "high" } },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["groups.1.wday", "holidays.bad.tide"]));
  });

  it("refuses an empty group and unknown top-level fields", () => {
    expect(businessHoursSchema.safeParse({ timeZone: "UTC", groups: [{}] }).success).toBe(false);
    expect(businessHoursSchema.safeParse({ timeZone: "UTC", groups: [{ wday: "1" }], open: true }).success).toBe(false);
  });
});
