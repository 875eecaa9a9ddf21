/**
 * The handoff part of a call's plan, taken from the secretary's call-time
 * config once at call start (workers/config), and the lines the agent says
 * during a handoff. The lines are fixed text rather than model output: the
 * protocol number must be read exactly, and a caller in a hurry hears the
 * same short sentence every time.
 */
import type { BusinessHours } from "../api/schemas/time-conditions.js";
import type { RuntimeTransferRule, SecretaryRuntimeConfig } from "../config/secretary-config.js";
import type { HandoffLines } from "./decision.js";
import { DEFAULT_HANDOFF_KEYWORDS } from "./triggers.js";

export interface HandoffPlan {
  enabled: boolean;
  keywords: string[];
  timeoutSeconds: number;
  maxAiTurns: number;
  transferExtension: string | null;
  presenceCheck: boolean;
  businessHours: BusinessHours | null;
  ticketsEnabled: boolean;
  queueId: string | null;
  companyId: string | null;
  farewell: string | null;
  language: string;
  rules: RuntimeTransferRule[];
  /** The service token is decrypted: never log the plan. */
  omniplay: { baseUrl: string; serviceToken: string | null } | null;
}

export function handoffPlanOf(config: SecretaryRuntimeConfig): HandoffPlan {
  const s = config.secretary;
  return {
    enabled: s.handoffEnabled,
    keywords: s.handoffKeywords.length ? [...s.handoffKeywords] : [...DEFAULT_HANDOFF_KEYWORDS],
    timeoutSeconds: s.handoffTimeoutSeconds,
    maxAiTurns: s.maxAiTurns,
    transferExtension: s.transferExtension,
    presenceCheck: s.presenceCheckEnabled,
    businessHours: s.businessHours,
    ticketsEnabled: s.fallbackToTicketEnabled,
    queueId: s.ticketQueueId,
    companyId: s.omniplayCompanyId,
    farewell: s.farewell,
    language: s.language,
    rules: config.transferRules,
    omniplay: config.omniplay,
  };
}

/** A protocol number read one digit at a time ("4 8 2 1 0"), which speech models otherwise read as a quantity. */
export function spelled(protocol: string): string {
  return protocol.replace(/\s+/g, "").split("").join(" ");
}

export function handoffLines(plan: Pick<HandoffPlan, "language" | "farewell">): HandoffLines {
  const farewell = plan.farewell?.trim();
  if (plan.language.toLowerCase().startsWith("pt")) {
    return {
      transferring: (t) => (t.department ? `Vou transferir você para ${t.department}. Um momento, por favor.` : "Vou transferir você para um atendente. Um momento, por favor."),
      ticket: (p) => `Registrei seu recado. O número do protocolo é ${spelled(p)}. Repetindo: ${spelled(p)}. ${farewell || "Obrigada pela ligação. Até logo!"}`,
      sorry: `Desculpe, não consegui registrar seu recado agora. Por favor, ligue novamente mais tarde. ${farewell || "Até logo!"}`,
      transferFailed: (t, why) => {
        const offer = "Posso anotar um recado para retornarem a ligação?";
        if (why === "busy") return `${t.department ? `O setor ${t.department} está ocupado` : "O atendente está ocupado"} no momento. ${offer}`;
        if (why === "no_answer") return `${t.department ? `Ninguém do setor ${t.department} atendeu` : "Ninguém atendeu"} agora. ${offer}`;
        return `Não consegui completar a transferência agora. ${offer}`;
      },
      farewell: farewell || "Obrigada pela ligação. Até logo!",
    };
  }
  return {
    transferring: (t) => (t.department ? `I'll transfer you to ${t.department}. One moment, please.` : "I'll transfer you to someone now. One moment, please."),
    ticket: (p) => `I've taken your message. Your protocol number is ${spelled(p)}. Again: ${spelled(p)}. ${farewell || "Thank you for calling. Goodbye!"}`,
    sorry: `Sorry, I couldn't record your message right now. Please call again later. ${farewell || "Goodbye!"}`,
    transferFailed: (t, why) => {
      const offer = "May I take a message so they can call you back?";
      if (why === "busy") return `${t.department ? `${t.department} is` : "Everyone is"} busy right now. ${offer}`;
      if (why === "no_answer") return `${t.department ? `Nobody in ${t.department} answered` : "Nobody answered"} just now. ${offer}`;
      return `I couldn't complete the transfer right now. ${offer}`;
    },
    farewell: farewell || "Thank you for calling. Goodbye!",
  };
}
