/**
 * The tools a session offers its provider: the handoff tools
 * (workers/handoff/tools.ts: transfer_call, take_message, end_call,
 * check_business_hours) to every AI call with a handoff plan, and `echo` to
 * diagnostic calls, which proves the round trip (model -> tool -> model) on
 * every vendor. A tool that throws is a failure the call
 * survives: the model gets `{ error }` and carries on.
 */
import type { ToolCall, ToolSpec } from "./provider.js";

export interface Tool {
  spec: ToolSpec;
  run(args: Record<string, unknown>): Promise<unknown> | unknown;
}

export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(tools: readonly Tool[] = []) {
    for (const t of tools) this.tools.set(t.spec.name, t);
  }

  specs(): ToolSpec[] {
    return [...this.tools.values()].map((t) => t.spec);
  }

  async run(call: ToolCall): Promise<{ ok: boolean; result: unknown }> {
    const tool = this.tools.get(call.name);
    if (!tool) return { ok: false, result: { error: `unknown tool ${call.name}` } };
    try {
      return { ok: true, result: await tool.run(call.args) };
    } catch (err) {
      return { ok: false, result: { error: err instanceof Error ? err.message : String(err) } };
    }
  }
}

export const echoTool: Tool = {
  spec: {
    name: "echo",
    description: "Diagnostic: returns its input unchanged.",
    parameters: { type: "object", properties: { text: { type: "string", description: "Any text" } }, required: ["text"] },
  },
  run: (args) => ({ echoed: args.text ?? null }),
};

/**
 * The tools a call's provider is offered: the call's handoff tools, and `echo` only when
 * `diagnostic` (a diagnostic echo would only puzzle a real model).
 */
export function toolsFor(options: { diagnostic?: boolean; handoff?: readonly Tool[] } = {}): ToolRegistry {
  return new ToolRegistry([...(options.diagnostic ? [echoTool] : []), ...(options.handoff ?? [])]);
}
