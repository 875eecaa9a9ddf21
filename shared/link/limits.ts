/**
 * Every size and queue limit of the link, with its default. Both sides take
 * a partial override; the cloud announces the values it enforces in its
 * welcome so the relay can size its bundles to fit.
 */
export interface LinkLimits {
  /** Largest record body (control JSON or audio bundle), bytes. */
  maxRecordBytes: number;
  /** Largest control message body, bytes. */
  maxControlBytes: number;
  /** Most audio frames in one bundle. */
  maxFramesPerBundle: number;
  /** Largest payload of one audio frame, bytes (1 s of 48 kHz PCM16 is 96,000). */
  maxFramePayloadBytes: number;
  /** Most calls the relay may have open on one link. */
  maxCalls: number;
}

export const DEFAULT_LIMITS: Readonly<LinkLimits> = Object.freeze({
  maxRecordBytes: 1024 * 1024,
  maxControlBytes: 64 * 1024,
  maxFramesPerBundle: 2048,
  maxFramePayloadBytes: 65_535,
  maxCalls: 1000,
});

/** The most extensions one ring-all `transfer` may name (`destinations`, PROTOCOL.md). */
export const MAX_TRANSFER_DESTINATIONS = 10;

/** Defaults overridden by `partial`, each value checked to be a positive integer. */
export function resolveLimits(partial: Partial<LinkLimits> = {}): LinkLimits {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const limits: LinkLimits = { ...DEFAULT_LIMITS, ...given };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`link limit ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.maxFramePayloadBytes > 65_535) {
    throw new RangeError("link limit maxFramePayloadBytes cannot exceed 65535 (16-bit length field)");
  }
  return limits;
}
