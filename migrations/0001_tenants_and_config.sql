-- Tenants and everything a secretary needs at call start. Every tenant-owned
-- table carries tenant_id and a UNIQUE (tenant_id, id), so that references
-- between tenant-owned rows are composite foreign keys: a secretary cannot
-- point at another tenant's provider even if the API had a bug.

create table tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null unique,
  status text not null default 'active' check (status in ('active', 'suspended')),
  -- Bumped by a trigger on every write to the tenant's config: the call-time
  -- cache compares it instead of reloading everything.
  config_version bigint not null default 1,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table relays (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null,
  -- SHA-256 of the token (hex). The token itself is shown once, never stored.
  token_hash text not null unique,
  token_prefix text not null,
  last_seen_at timestamptz,
  software_version text,
  revoked_at timestamptz,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);

create table ai_providers (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null,
  kind text not null check (kind in ('realtime', 'stt', 'tts', 'llm')),
  vendor text not null,
  model text,
  base_url text,
  -- AES-GCM ciphertext (see workers/crypto); never returned by the API.
  api_key_ciphertext text,
  api_key_last4 text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);

create table secretaries (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null,
  extension text not null,
  processing_mode text not null default 'auto' check (processing_mode in ('realtime', 'turn_based', 'auto')),
  provider_id uuid,
  fallback_provider_id uuid,
  voice text,
  language text not null default 'pt-BR',
  system_prompt text not null default '',
  greeting text,
  farewell text,
  handoff_enabled boolean not null default true,
  -- Lists are jsonb rather than text[]: the client runs without fetching
  -- type OIDs (one round trip less per request through Hyperdrive).
  handoff_keywords jsonb not null default '["atendente", "humano", "pessoa", "operador"]'::jsonb,
  handoff_timeout_seconds integer not null default 30,
  max_ai_turns integer not null default 20,
  transfer_extension text,
  presence_check_enabled boolean not null default true,
  -- { timeZone, groups: [{ wday: "2-6", "time-of-day": "08:00-18:00" }], holidays: { name: {...} } }
  business_hours jsonb,
  fallback_to_ticket_enabled boolean not null default true,
  ticket_queue_id text,
  omniplay_company_id text,
  vad jsonb not null default '{}'::jsonb,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  constraint secretaries_extension_unique unique (tenant_id, extension),
  constraint secretaries_provider_fk foreign key (tenant_id, provider_id)
    references ai_providers (tenant_id, id) on delete set null (provider_id),
  constraint secretaries_fallback_provider_fk foreign key (tenant_id, fallback_provider_id)
    references ai_providers (tenant_id, id) on delete set null (fallback_provider_id)
);

create table transfer_destinations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null,
  kind text not null default 'extension' check (kind in ('extension', 'ring_group', 'queue')),
  extension text not null,
  context text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);

create table transfer_rules (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  secretary_id uuid not null,
  destination_id uuid not null,
  department text not null,
  phrases jsonb not null default '[]'::jsonb,
  priority integer not null default 0,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  constraint transfer_rules_secretary_fk foreign key (tenant_id, secretary_id)
    references secretaries (tenant_id, id) on delete cascade,
  constraint transfer_rules_destination_fk foreign key (tenant_id, destination_id)
    references transfer_destinations (tenant_id, id) on delete cascade
);
create index transfer_rules_secretary on transfer_rules (tenant_id, secretary_id);

create table omniplay_settings (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  base_url text not null,
  service_token_ciphertext text,
  service_token_last4 text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table conversations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  secretary_id uuid,
  call_id uuid not null,
  caller text not null default '',
  started_at timestamptz not null,
  ended_at timestamptz,
  duration_seconds double precision,
  turns integer not null default 0,
  avg_latency_ms double precision,
  transcript jsonb not null default '[]'::jsonb,
  summary text,
  handoff_reason text,
  outcome text,
  ticket_id text,
  provider text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  constraint conversations_call_unique unique (tenant_id, call_id),
  constraint conversations_secretary_fk foreign key (tenant_id, secretary_id)
    references secretaries (tenant_id, id) on delete set null (secretary_id)
);
create index conversations_started on conversations (tenant_id, started_at desc);
create index conversations_caller on conversations (tenant_id, caller);
create index conversations_outcome on conversations (tenant_id, outcome, started_at desc);
create index conversations_secretary on conversations (tenant_id, secretary_id, started_at desc);

create table audit_log (
  id bigint generated always as identity primary key,
  tenant_id uuid references tenants (id) on delete set null,
  actor_sub text not null,
  actor_role text not null,
  action text not null,
  entity text not null,
  entity_id text,
  before jsonb,
  after jsonb,
  at timestamptz not null default now()
);
create index audit_log_tenant on audit_log (tenant_id, at desc);

-- A write to any config table bumps the tenant's config_version, so the
-- call-time cache sees the change on the next call whoever wrote it.
create function bump_tenant_config_version() returns trigger language plpgsql as $$
begin
  update tenants set config_version = config_version + 1
   where id = coalesce(new.tenant_id, old.tenant_id);
  return null;
end $$;

create trigger secretaries_bump after insert or update or delete on secretaries
  for each row execute function bump_tenant_config_version();
create trigger ai_providers_bump after insert or update or delete on ai_providers
  for each row execute function bump_tenant_config_version();
create trigger transfer_destinations_bump after insert or update or delete on transfer_destinations
  for each row execute function bump_tenant_config_version();
create trigger transfer_rules_bump after insert or update or delete on transfer_rules
  for each row execute function bump_tenant_config_version();
create trigger omniplay_settings_bump after insert or update or delete on omniplay_settings
  for each row execute function bump_tenant_config_version();
