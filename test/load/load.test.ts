/**
 * The short load run of CI: 50 calls of real speech for 30 s through the
 * relay and workerd. Asserted: no frame lost, no error, memory flat within a
 * generous bound. Timings are printed, never asserted (shared machines are
 * noisy); `npm run load` runs the long version.
 */
import { expect, it } from "vitest";
import { formatReport, runLoad } from "./load-run.js";

it("carries 50 calls for 30 s with no frame lost, no error, and flat memory", async () => {
  // workerd's RSS climbs ~80 MB over the first 45 s of 50 calls and then levels off (npm run load
  // -- --calls 50 --seconds 120 shows it): 30 s cannot tell that from a leak, so its bound is wider.
  const report = await runLoad({ calls: 50, seconds: 30, progressMs: 5000, maxLostFraction: 0, maxGrowthMb: 64, maxWorkerdGrowthMb: 160, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${formatReport(report)}\n`);
  expect(report.errors).toEqual([]);
  expect(report.framesSent).toBeGreaterThan(50 * 30 * 50 * 0.9);
  expect(report.framesLost).toBe(0);
  expect(report.relayGrowthMb).toBeLessThan(64);
  expect(report.workerdGrowthMb).toBeLessThan(160);
});
