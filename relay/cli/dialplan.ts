/**
 * `relay dialplan --secretary <uuid> --extension 8000 --fallback 200
 * [--context <context>]`: prints the recommended dialplan for one
 * secretary, as XML and as FusionPBX Dialplan Manager rows. Pure apart from
 * the printing: {@link dialplan} builds the text. The action after `socket`
 * is a real fallback (shared/FREESWITCH.md): with `park` a caller whose
 * relay is gone would sit in silence.
 */

/** What the dialplan is for. */
export interface DialplanOptions {
  secretaryId: string;
  extension: string;
  fallback: string;
  /** Context of the fallback transfer; `${domain_name}` (FusionPBX) by default. */
  context?: string;
  audioPort?: number;
  outboundPort?: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXTENSION_RE = /^[0-9*#+]{1,32}$/;
const CONTEXT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The dialplan's actions, in order, as [application, data]. */
export function dialplanActions(o: DialplanOptions): [string, string][] {
  const context = o.context ?? "${domain_name}";
  return [
    ["set", `VOICE_AI_SECRETARY_UUID=${o.secretaryId.toLowerCase()}`],
    ["set", "VOICE_AI_DOMAIN_UUID=${domain_uuid}"],
    // Uninitialised in the module when unset.
    ["set", "STREAM_HEART_BEAT=10"],
    ["set", "STREAM_MESSAGE_DEFLATE=true"],
    // 1920-byte frames every 60 ms: a 30 ms trunk would otherwise lose a third of the audio.
    ["set", "STREAM_BUFFER_SIZE=60"],
    ["set", `api_on_answer=uuid_audio_stream \${uuid} start ws://127.0.0.1:${o.audioPort ?? 8085}/stream/\${VOICE_AI_SECRETARY_UUID}/\${uuid}/\${caller_id_number} mono 16k`],
    ["answer", ""],
    ["socket", `127.0.0.1:${o.outboundPort ?? 8022} async full`],
    ["transfer", `${o.fallback} XML ${context}`],
  ];
}

/** Checks the options; returns the problems (empty when fine). */
export function dialplanProblems(o: Partial<DialplanOptions>): string[] {
  const problems: string[] = [];
  if (!o.secretaryId || !UUID_RE.test(o.secretaryId)) problems.push("--secretary must be the secretary's UUID");
  if (!o.extension || !EXTENSION_RE.test(o.extension)) problems.push("--extension must be digits (e.g. 8000)");
  if (!o.fallback || !EXTENSION_RE.test(o.fallback)) problems.push("--fallback must be the extension a call goes to when the AI cannot take it (e.g. 200)");
  if (o.context !== undefined && !CONTEXT_RE.test(o.context)) problems.push("--context must be a dialplan context (letters, digits, ._-)");
  return problems;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The dialplan as XML and as Dialplan Manager rows. */
export function dialplan(o: DialplanOptions): string {
  const actions = dialplanActions(o);
  const xml = [
    `<extension name="voice-ai-secretary-${o.extension}" continue="false">`,
    `  <condition field="destination_number" expression="^${o.extension.replace(/[*+]/g, "\\$&")}$">`,
    ...actions.map(([app, data]) => (data ? `    <action application="${app}" data="${xmlEscape(data)}"/>` : `    <action application="${app}"/>`)),
    "  </condition>",
    "</extension>",
  ];
  const rows = [
    "FusionPBX: Dialplan > Dialplan Manager > Add. Name voice-ai-secretary-" + o.extension + ", Number " + o.extension + ", Context ${domain_name}, Order 100, Continue false. Details:",
    row("tag", "type", "data", "group", "order"),
    row("condition", "destination_number", `^${o.extension}$`, "0", "5"),
    ...actions.map(([app, data], i) => row("action", app, data, "0", String((i + 2) * 5))),
  ];
  const why = [
    "<!-- The transfer after `socket` is the fallback: FreeSWITCH runs it when the relay is not",
    "     there, refuses the call, or gives it back. With park the caller would sit in silence. -->",
  ];
  return [...why, ...xml, "", ...rows, ""].join("\n");
}

function row(tag: string, type: string, data: string, group: string, order: string): string {
  return `  ${tag.padEnd(10)} ${type.padEnd(18)}  ${data.padEnd(61)}  ${group.padEnd(5)}  ${order}`;
}

/** Parses `--name value` pairs. */
export function parseDialplanArgs(argv: readonly string[]): Partial<DialplanOptions> {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return { secretaryId: get("secretary"), extension: get("extension"), fallback: get("fallback"), context: get("context") };
}

/** The command: prints the dialplan, or the problems (exit 64, EX_USAGE). */
export function runDialplan(argv: readonly string[], print: (line: string) => void): number {
  const options = parseDialplanArgs(argv);
  const problems = dialplanProblems(options);
  if (problems.length > 0) {
    for (const p of problems) print(p);
    print("usage: relay dialplan --secretary <uuid> --extension 8000 --fallback 200 [--context <context>]");
    return 64;
  }
  print(dialplan(options as DialplanOptions));
  return 0;
}
