/** The generated dialplan: every line the relay depends on, and a real fallback after `socket`. */
import { describe, expect, it } from "vitest";
import { dialplan, dialplanActions, runDialplan } from "./dialplan.js";

const SEC = "5E0C0A11-0000-4000-8000-00000000EC40";

describe("relay dialplan", () => {
  it("sets the STREAM_* variables, starts the stream on answer, hands control to 8022, then falls back", () => {
    const actions = dialplanActions({ secretaryId: SEC, extension: "8000", fallback: "200" });
    expect(actions.map(([a]) => a)).toEqual(["set", "set", "set", "set", "set", "set", "answer", "socket", "transfer"]);
    expect(actions[0]).toEqual(["set", "VOICE_AI_SECRETARY_UUID=5e0c0a11-0000-4000-8000-00000000ec40"]);
    expect(actions.map(([, d]) => d)).toEqual(expect.arrayContaining(["STREAM_HEART_BEAT=10", "STREAM_MESSAGE_DEFLATE=true", "STREAM_BUFFER_SIZE=60", "127.0.0.1:8022 async full", "200 XML ${domain_name}"]));
    expect(actions[5]?.[1]).toBe("api_on_answer=uuid_audio_stream ${uuid} start ws://127.0.0.1:8085/stream/${VOICE_AI_SECRETARY_UUID}/${uuid}/${caller_id_number} mono 16k");
  });

  it("prints XML and Dialplan Manager rows", () => {
    const text = dialplan({ secretaryId: SEC, extension: "8000", fallback: "200", context: "pbx.example.com" });
    expect(text).toContain('<condition field="destination_number" expression="^8000$">');
    expect(text).toContain('<action application="socket" data="127.0.0.1:8022 async full"/>');
    expect(text).toContain('<action application="transfer" data="200 XML pbx.example.com"/>');
    expect(text).toContain("Dialplan Manager");
    expect(text).not.toContain('application="park"');
  });

  it("refuses bad arguments with exit 64 and says which", () => {
    const lines: string[] = [];
    expect(runDialplan(["--secretary", "x", "--extension", "80 00", "--fallback", "${x}"], (l) => lines.push(l))).toBe(64);
    expect(lines.slice(0, 3)).toEqual(["--secretary must be the secretary's UUID", "--extension must be digits (e.g. 8000)", expect.stringContaining("--fallback")]);
    expect(runDialplan(["--secretary", SEC, "--extension", "8000", "--fallback", "200"], () => undefined)).toBe(0);
  });
});
