// Bundles the relay into dist/relay.mjs for the Docker image. npm packages
// stay external: the image installs them from the lock file.
import { build } from "esbuild";

await build({
  entryPoints: ["relay/main.ts"],
  outfile: "dist/relay.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  legalComments: "none",
  logLevel: "info",
});
