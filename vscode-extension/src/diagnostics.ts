// Review findings → editor diagnostics, as plain data. The `vscode` glue turns these into
// vscode.Diagnostic objects; keeping the mapping here lets node's test runner check it.
import type { Finding, Severity } from "./api";

export type DiagnosticLevel = "error" | "warning" | "information" | "hint";

export interface DiagnosticSpec {
  /** Zero-based, as VS Code counts lines; the API counts from one. */
  startLine: number;
  endLine: number;
  level: DiagnosticLevel;
  message: string;
  code: string;
  source: string;
}

// Critical and major findings block a pass, so they are errors; minor ones are worth fixing;
// informational ones teach something and should not clutter the Problems panel as warnings.
const LEVELS: Record<Severity, DiagnosticLevel> = {
  critical: "error",
  major: "error",
  minor: "warning",
  info: "information",
};

export function levelFor(severity: string): DiagnosticLevel {
  return LEVELS[severity as Severity] ?? "hint";
}

export function toDiagnostics(findings: Finding[], lineCount: number): DiagnosticSpec[] {
  const lastLine = Math.max(0, lineCount - 1);
  const clamp = (line: number) => Math.min(Math.max(0, line), lastLine);
  return findings.map((finding) => {
    // A finding about the whole file (no line) is shown on the first line.
    const start = clamp((finding.start_line ?? 1) - 1);
    const end = clamp((finding.end_line ?? finding.start_line ?? 1) - 1);
    const message = finding.suggestion ? `${finding.message}\n→ ${finding.suggestion}` : finding.message;
    return {
      startLine: start,
      endLine: Math.max(start, end),
      level: levelFor(finding.severity),
      message,
      code: finding.rule,
      source: "AI Goals Tracker",
    };
  });
}
