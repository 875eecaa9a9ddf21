/** One line of the bench table, and the table as plain text. */
export interface Row {
  figure: string;
  value: string;
  /** The floor measured in the same run, or a baseline. */
  floor: string;
  goal: string;
  met: string;
}

export function formatTable(rows: readonly Row[], header = ["figure", "measured", "floor (same run)", "goal", "met"]): string {
  const cells = [header, ...rows.map((r) => [r.figure, r.value, r.floor, r.goal, r.met])];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(cells[0] as string[]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}
