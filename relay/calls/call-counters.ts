/** What the calls count, for /health, /metrics and tests. */

/** Counters of all calls, for /health and tests. */
export interface CallCounters {
  fallbacks: number;
  bargeIns: number;
  filesQueued: number;
  playEventsIgnored: number;
  breakFailures: number;
  commands: number;
  commandFailures: number;
  audioOnly: number;
}

/** All zero. */
export function newCallCounters(): CallCounters {
  return { fallbacks: 0, bargeIns: 0, filesQueued: 0, playEventsIgnored: 0, breakFailures: 0, commands: 0, commandFailures: 0, audioOnly: 0 };
}
