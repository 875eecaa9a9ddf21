import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".wrangler/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    // Command-line tools talk to a person on the terminal.
    files: ["test/stack/**", "test/bench/**", "test/load/**", "relay/cli/**", "**/*.mjs"],
    rules: { "no-console": "off" },
  },
  {
    // shared/ is pure: no runtime-specific modules.
    files: ["shared/**/*.ts"],
    ignores: ["shared/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "ws", "pino", "cloudflare:*", "hono*"] }],
      "no-restricted-globals": ["error", "setTimeout", "setInterval", "fetch", "WebSocket", "process", "Date", "crypto"],
    },
  },
);
