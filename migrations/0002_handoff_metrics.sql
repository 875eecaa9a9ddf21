-- Handoff metrics (issue 5): how long each handoff took and why one failed,
-- kept on the call's conversation record so the stats route can count
-- handoffs by reason and outcome and give duration percentiles in SQL.
-- Written to be harmless if run again (the runner applies it once anyway).

alter table conversations
  add column if not exists handoff_duration_ms integer
    constraint conversations_handoff_duration_range check (handoff_duration_ms between 0 and 86400000),
  add column if not exists handoff_error text
    constraint conversations_handoff_error_length check (char_length(handoff_error) <= 500);

-- GET /v1/stats/handoffs reads one tenant's calls in a time window (and
-- maybe one secretary's): everything it aggregates is in this index, so it
-- is an index-only scan that never reads the transcripts.
create index if not exists conversations_handoff_stats on conversations (tenant_id, started_at)
  include (secretary_id, handoff_reason, outcome, handoff_duration_ms);
