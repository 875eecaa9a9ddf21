/**
 * Where a handoff goes: the secretary's departments (each with the phrases
 * that mean it, an extension or ring group, and a priority) and its default
 * transfer extension. The model picks a department from an enum; the
 * caller's words pick one too. An extension named by the model is honoured
 * only when it is one the secretary transfers to anyway, so a caller who
 * talks the model into "transfer me to 9999" (or worse, to a dial string)
 * reaches nothing the tenant did not configure. Pure.
 */
import type { RuntimeTransferRule } from "../config/secretary-config.js";
import { containsPhrase, fold } from "./words.js";

/** What the relay's `transfer` accepts (PROTOCOL.md): checked here too, so nothing else is ever sent. */
const EXTENSION_RE = /^[0-9A-Za-z*#+._-]{1,32}$/;
const CONTEXT_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface TransferTarget {
  /** The department's name as configured, or null for the default extension. */
  department: string | null;
  extension: string;
  /** Dialplan context; null = the call's own. */
  context: string | null;
  kind: string;
  /** OmniPlay's online agents to ring at once (ring_all), `extension` first; the relay rings them in the call's own domain. */
  ringAll?: string[];
}

export function isSafeExtension(extension: string): boolean {
  return EXTENSION_RE.test(extension);
}

export class TransferRules {
  private readonly rules: RuntimeTransferRule[];

  constructor(
    rules: readonly RuntimeTransferRule[],
    private readonly defaultExtension: string | null,
  ) {
    // Priority first (lower wins), then name, so matching is deterministic; unsafe rows are left out.
    this.rules = [...rules]
      .filter((r) => isSafeExtension(r.destination.extension) && (r.destination.context === null || CONTEXT_RE.test(r.destination.context)))
      .sort((a, b) => a.priority - b.priority || a.department.localeCompare(b.department));
  }

  /** Department names for the tool's enum, in priority order, without duplicates. */
  departments(): string[] {
    return [...new Set(this.rules.map((r) => r.department))];
  }

  /**
   * Whether an extension named by OmniPlay (an online agent) may be transferred to: the
   * tenant's own CRM is trusted for the number, not for its shape.
   */
  isTransferable(extension: string): boolean {
    return isSafeExtension(extension);
  }

  /** The default transfer target, when one is configured and safe. */
  defaultTarget(): TransferTarget | null {
    const ext = this.defaultExtension;
    return ext && isSafeExtension(ext) ? { department: null, extension: ext, context: null, kind: "extension" } : null;
  }

  /** A department by name (case- and accent-insensitive), or undefined. */
  byDepartment(name: string): TransferTarget | undefined {
    const wanted = fold(name.trim());
    const r = this.rules.find((x) => fold(x.department) === wanted);
    return r && this.toTarget(r);
  }

  /** The first department (by priority) whose name or phrases occur in `text`. */
  matchText(text: string): TransferTarget | undefined {
    const r = this.rules.find((x) => containsPhrase(text, x.department) || x.phrases.some((p) => containsPhrase(text, p)));
    return r && this.toTarget(r);
  }

  /**
   * The target of a `transfer_call`: the department if known, else an
   * extension only if configured (a department's or the default), else the
   * default. Null when the secretary has nowhere to transfer to.
   */
  resolve(args: { department?: unknown; extension?: unknown }, transcript = ""): TransferTarget | null {
    if (typeof args.department === "string") {
      const t = this.byDepartment(args.department);
      if (t) return t;
    }
    if (typeof args.extension === "string") {
      const ext = args.extension.trim();
      const known = this.rules.find((r) => r.destination.extension === ext);
      if (known) return this.toTarget(known);
      const def = this.defaultTarget();
      if (def && def.extension === ext) return def;
    }
    return (transcript ? this.matchText(transcript) : undefined) ?? this.defaultTarget();
  }

  private toTarget(r: RuntimeTransferRule): TransferTarget {
    return { department: r.department, extension: r.destination.extension, context: r.destination.context, kind: r.destination.kind };
  }
}
