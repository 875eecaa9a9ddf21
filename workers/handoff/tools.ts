/**
 * The handoff tools every provider is offered, as JSON Schema (every vendor
 * takes it), and their registry entries. Departments are an enum so the
 * model cannot invent one; whatever it sends is still checked before it
 * goes anywhere (transfer-rules.ts), because a caller can talk a model into
 * anything. Arguments are read defensively: strings only, trimmed, capped.
 */
import type { Tool } from "../providers/tools.js";
import type { ToolSpec } from "../providers/provider.js";

export const HANDOFF_TOOL_NAMES = ["transfer_call", "take_message", "end_call", "check_business_hours"] as const;

export interface TransferCallArgs {
  department?: string;
  extension?: string;
  reason: string;
}
export interface TakeMessageArgs {
  summary: string;
  callbackNumber?: string;
}

/** What the tools do; the CallSession's handoff controller implements it. Results go back to the model. */
export interface HandoffToolHandlers {
  transferCall(args: TransferCallArgs): Promise<unknown> | unknown;
  takeMessage(args: TakeMessageArgs): Promise<unknown> | unknown;
  endCall(args: { reason: string }): Promise<unknown> | unknown;
  checkBusinessHours(): Promise<unknown> | unknown;
}

export function handoffToolSpecs(departments: readonly string[]): ToolSpec[] {
  const transferProps: Record<string, unknown> = {
    extension: { type: "string", description: "An extension number the caller asked for, if no department fits." },
    reason: { type: "string", description: "Why the caller wants a person, in a few words." },
  };
  if (departments.length > 0) {
    transferProps.department = { type: "string", enum: [...departments], description: "The department that can help the caller." };
  }
  return [
    {
      name: "transfer_call",
      description:
        "Transfer the caller to a person: a department, or an extension. Use when the caller asks for a person or a department. " +
        "The system checks business hours and who is available, and takes a message when nobody is.",
      parameters: { type: "object", properties: transferProps, required: ["reason"], additionalProperties: false },
    },
    {
      name: "take_message",
      description: "Take a message for the team (creates a ticket and gives the caller a protocol number), then end the call.",
      parameters: {
        type: "object",
        properties: {
          summary: { type: "string", description: "What the caller needs, in a few sentences, with names and numbers they gave." },
          callback_number: { type: "string", description: "A number to call back, if the caller gave one." },
        },
        required: ["summary"],
        additionalProperties: false,
      },
    },
    {
      name: "end_call",
      description: "End the call after saying goodbye, when the caller has nothing more to ask.",
      parameters: { type: "object", properties: { reason: { type: "string", description: "Why the call ends." } }, required: ["reason"], additionalProperties: false },
    },
    {
      name: "check_business_hours",
      description: "Whether the company is open now (people can take the call).",
      parameters: { type: "object", properties: {}, additionalProperties: false },
    },
  ];
}

/** A string argument, trimmed and capped; undefined when absent, empty or not a string. */
export function stringArg(args: Record<string, unknown>, name: string, max = 500): string | undefined {
  const v = args[name];
  if (typeof v !== "string") return undefined;
  const t = v.trim().slice(0, max);
  return t === "" ? undefined : t;
}

export function handoffTools(departments: readonly string[], h: HandoffToolHandlers): Tool[] {
  const specs = new Map(handoffToolSpecs(departments).map((s) => [s.name, s]));
  const spec = (name: string) => specs.get(name)!;
  return [
    {
      spec: spec("transfer_call"),
      run: (a) => {
        const department = stringArg(a, "department", 64);
        const extension = stringArg(a, "extension", 32);
        return h.transferCall({ ...(department ? { department } : {}), ...(extension ? { extension } : {}), reason: stringArg(a, "reason") ?? "" });
      },
    },
    {
      spec: spec("take_message"),
      run: (a) => {
        const callbackNumber = stringArg(a, "callback_number", 32);
        return h.takeMessage({ summary: stringArg(a, "summary", 4000) ?? "", ...(callbackNumber ? { callbackNumber } : {}) });
      },
    },
    { spec: spec("end_call"), run: (a) => h.endCall({ reason: stringArg(a, "reason") ?? "" }) },
    { spec: spec("check_business_hours"), run: () => h.checkBusinessHours() },
  ];
}
