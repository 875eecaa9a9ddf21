/**
 * The demo tenant: one secretary (extension 8000) with every field set, its
 * providers, departments and OmniPlay settings. This is the configuration
 * the demo call used to take from environment/dev vars. Idempotent: a second
 * run changes nothing. No secret is seeded: with no key, providers and
 * OmniPlay are reached through their local stand-ins.
 */
import type postgres from "postgres";

export const DEMO_TENANT_ID = "d3e0a000-0000-4000-8000-000000000001";
export const DEMO_SECRETARY_ID = "d3e0a000-0000-4000-8000-0000000000a1";
export const DEMO_PROVIDER_IDS = {
  realtime: "d3e0a000-0000-4000-8000-0000000000b1",
  gemini: "d3e0a000-0000-4000-8000-0000000000b2",
  stt: "d3e0a000-0000-4000-8000-0000000000b3",
  llm: "d3e0a000-0000-4000-8000-0000000000b4",
  tts: "d3e0a000-0000-4000-8000-0000000000b5",
} as const;
export const DEMO_DESTINATIONS = [
  { id: "d3e0a000-0000-4000-8000-0000000000c1", name: "Vendas", extension: "200", department: "vendas", phrases: ["vendas", "comprar", "orçamento"] },
  { id: "d3e0a000-0000-4000-8000-0000000000c2", name: "Suporte", extension: "201", department: "suporte", phrases: ["suporte", "problema", "não funciona"] },
  { id: "d3e0a000-0000-4000-8000-0000000000c3", name: "Financeiro", extension: "202", department: "financeiro", phrases: ["boleto", "pagamento", "financeiro"] },
] as const;

export async function seedDemo(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`insert into tenants (id, name, slug) values (${DEMO_TENANT_ID}, 'Demo Telecom', 'demo') on conflict do nothing`;
    const providers = [
      [DEMO_PROVIDER_IDS.realtime, "OpenAI Realtime", "realtime", "openai", "gpt-realtime"],
      [DEMO_PROVIDER_IDS.gemini, "Gemini Live", "realtime", "gemini", "gemini-live-2.5-flash-preview"],
      [DEMO_PROVIDER_IDS.stt, "OpenAI transcription", "stt", "openai", "gpt-4o-mini-transcribe"],
      [DEMO_PROVIDER_IDS.llm, "OpenAI chat", "llm", "openai", "gpt-4o-mini"],
      [DEMO_PROVIDER_IDS.tts, "OpenAI speech", "tts", "openai", "gpt-4o-mini-tts"],
    ] as const;
    for (const [id, name, kind, vendor, model] of providers) {
      await tx`insert into ai_providers (id, tenant_id, name, kind, vendor, model)
        values (${id}, ${DEMO_TENANT_ID}, ${name}, ${kind}, ${vendor}, ${model}) on conflict do nothing`;
    }
    const businessHours = {
      timeZone: "America/Sao_Paulo",
      groups: [
        { wday: "2-6", "time-of-day": "08:00-18:00" },
        { wday: "7", "time-of-day": "09:00-12:00" },
      ],
      holidays: { christmas_day: { mday: "25", mon: "12" }, new_years_day: { mday: "1", mon: "1" } },
    };
    await tx`insert into secretaries (
        id, tenant_id, name, extension, processing_mode, provider_id, fallback_provider_id, voice, language,
        system_prompt, greeting, farewell, handoff_enabled, handoff_keywords, handoff_timeout_seconds,
        max_ai_turns, transfer_extension, presence_check_enabled, business_hours, fallback_to_ticket_enabled,
        ticket_queue_id, omniplay_company_id, vad)
      values (
        ${DEMO_SECRETARY_ID}, ${DEMO_TENANT_ID}, 'Secretária Demo', '8000', 'realtime',
        ${DEMO_PROVIDER_IDS.realtime}, ${DEMO_PROVIDER_IDS.gemini}, 'marin', 'pt-BR',
        ${"Você é a secretária virtual da Demo Telecom. Responda em português do Brasil, com frases curtas. " +
          "Quando o cliente quiser falar com uma pessoa ou com um departamento, use transfer_call; fora do horário, use take_message."},
        'Olá! Você ligou para a Demo Telecom. Como posso ajudar?',
        'Obrigada pela ligação. Até logo!',
        true, ${tx.json(["atendente", "humano", "pessoa", "operador"])}, 30,
        12, '200', true, ${tx.json(businessHours)}, true,
        '1', '1', ${tx.json({ type: "server_vad", threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 })})
      on conflict do nothing`;
    for (const [priority, d] of DEMO_DESTINATIONS.entries()) {
      await tx`insert into transfer_destinations (id, tenant_id, name, kind, extension, context)
        values (${d.id}, ${DEMO_TENANT_ID}, ${d.name}, 'extension', ${d.extension}, 'demo.local') on conflict do nothing`;
      await tx`insert into transfer_rules (id, tenant_id, secretary_id, destination_id, department, phrases, priority)
        values (${d.id.replace(/c(\d)$/, "d$1")}, ${DEMO_TENANT_ID}, ${DEMO_SECRETARY_ID}, ${d.id}, ${d.department}, ${tx.json([...d.phrases])}, ${priority})
        on conflict do nothing`;
    }
    await tx`insert into omniplay_settings (tenant_id, base_url) values (${DEMO_TENANT_ID}, 'http://127.0.0.1:8090') on conflict do nothing`;
  });
}
