/**
 * The Worker's bindings, as wrangler.toml and the secrets declare them.
 * Declared on `Cloudflare.Env` so that `env` from "cloudflare:workers" (and
 * the test pool's `env`) is typed too.
 */
import type { CallSession } from "./call-session.js";
import type { GreetingCache } from "./greeting-cache.js";
import type * as MainModule from "./index.js";
import type { RelayHub } from "./relay-hub.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- merging into the runtime's ambient namespace is the documented way to type `env`
  namespace Cloudflare {
    interface Env {
      RELAY_HUB: DurableObjectNamespace<RelayHub>;
      CALL_SESSION: DurableObjectNamespace<CallSession>;
      GREETING_CACHE: DurableObjectNamespace<GreetingCache>;
      /** Delay of the diagnostic echo secretary, milliseconds (a var, so a string). */
      ECHO_DELAY_MS?: string;
      /** Identity of the relay presenting RELAY_TOKEN, until per-relay tokens exist. */
      RELAY_ID?: string;
      /** Shared relay token (a secret, at least 32 characters). Never log it. */
      RELAY_TOKEN?: string;
      /**
       * Vendor endpoints for providers with neither a key nor a base URL of their own: the local
       * stand-ins (`npm start`, tests). Unset: the vendors' public endpoints.
       */
      OPENAI_BASE_URL?: string;
      GEMINI_BASE_URL?: string;
      ELEVENLABS_BASE_URL?: string;
      /**
       * Tenant whose secretaries configure the calls of the development relay (RELAY_TOKEN
       * without RELAY_TENANT_ID). Unset, or no such secretary: those calls get the echo secretary.
       */
      LOCAL_CONFIG_TENANT_ID?: string;
    }
    interface GlobalProps {
      mainModule: typeof MainModule;
      durableNamespaces: "RelayHub" | "CallSession" | "GreetingCache";
    }
  }
}

export type Env = Cloudflare.Env;
