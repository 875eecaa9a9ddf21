/**
 * `npm run load -- --calls 500 --minutes 10` (or `--seconds 30`; `--ai` for
 * AI secretaries on the provider stand-in instead of the echo): see load-run.ts. Exits 1 when frames were lost beyond `--max-lost` (a
 * fraction, default 0.001), on any error, or when memory grew past
 * `--max-growth-mb` (default 64) after the warm-up.
 */
import { parseArgs } from "node:util";
import { formatReport, runLoad } from "./load-run.js";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "100" },
    ai: { type: "boolean", default: false },
    minutes: { type: "string" },
    seconds: { type: "string" },
    "max-lost": { type: "string", default: "0.001" },
    "max-growth-mb": { type: "string", default: "64" },
  },
});

const calls = Number(values.calls);
const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? "1") * 60;
if (!Number.isInteger(calls) || calls < 1 || !(seconds > 0)) {
  console.error("usage: npm run load -- --calls <n> (--minutes <m> | --seconds <s>) [--ai] [--max-lost 0.001] [--max-growth-mb 64]");
  process.exit(2);
}

runLoad({
  calls,
  ai: values.ai,
  seconds,
  progressMs: seconds > 120 ? 10_000 : 5000,
  maxLostFraction: Number(values["max-lost"]),
  maxGrowthMb: Number(values["max-growth-mb"]),
  log: (line) => console.log(line),
}).then(
  (report) => {
    console.log(formatReport(report));
    process.exit(report.ok ? 0 : 1);
  },
  (err: unknown) => {
    console.error(`load test failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
