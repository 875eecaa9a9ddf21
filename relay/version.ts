/** The relay's own version, from package.json (bundled into dist/ by esbuild). */
import packageJson from "../package.json" with { type: "json" };

/** The package version, e.g. `0.1.0`. */
export const RELAY_VERSION: string = packageJson.version;

/** What the relay calls itself in its hello and its logs. */
export const RELAY_SOFTWARE = `voice-relay/${RELAY_VERSION}`;
