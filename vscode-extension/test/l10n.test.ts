// The extension's own texts: every one has its Spanish translation, and the review panel speaks
// the learner's language.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { Snapshot, Task } from "../src/api";
import { english, format, fromBundle, learnerLanguage, loadBundle } from "../src/l10n";
import { reviewMarkdown } from "../src/submission";
import { statusLabel, taskTypeLabel } from "../src/tree";

const ROOT = path.resolve(__dirname, "..", "..");
const readJson = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), "utf8")) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{(\d+)\}/g)].map((match) => match[1]).sort();

/** Every string literal passed to `t(...)` or `tr(...)` in the extension's sources. */
function textsInCode(): Set<string> {
  const texts = new Set<string>();
  for (const file of readdirSync(path.join(ROOT, "src")).filter((name) => name.endsWith(".ts"))) {
    const source = readFileSync(path.join(ROOT, "src", file), "utf8");
    for (const match of source.matchAll(/\b(?:t|tr)\(\s*("(?:[^"\\]|\\.)*")/g)) texts.add(JSON.parse(match[1]) as string);
  }
  return texts;
}

describe("localization", () => {
  it("has a Spanish translation of every text the code shows, and nothing the code no longer uses", () => {
    const bundle = readJson("l10n/bundle.l10n.es.json");
    const used = textsInCode();
    assert.ok(used.size > 50, "the texts are found in the sources");
    assert.deepEqual([...used].filter((text) => !(text in bundle)), []);
    assert.deepEqual(Object.keys(bundle).filter((text) => !used.has(text)), []);
    for (const [text, translation] of Object.entries(bundle)) {
      assert.ok(translation.trim(), `${text} is translated`);
      assert.deepEqual(placeholders(translation), placeholders(text), `${text} keeps its placeholders`);
    }
  });

  it("names every command and setting in both languages", () => {
    const english = readJson("package.nls.json");
    const spanish = readJson("package.nls.es.json");
    const manifest = readFileSync(path.join(ROOT, "package.json"), "utf8");
    const referenced = [...manifest.matchAll(/"%([^%"]+)%"/g)].map((match) => match[1]);
    assert.ok(referenced.includes("command.submitFile"));
    assert.deepEqual(referenced.filter((key) => !(key in english)), []);
    assert.deepEqual(Object.keys(spanish).sort(), Object.keys(english).sort());
    assert.ok(Object.values(spanish).every((text) => text.trim()));
    assert.equal(spanish["command.submitFile"], "Enviar el archivo actual para una tarea…");
  });

  it("formats placeholders as vscode.l10n.t does, and reads a learner's language", () => {
    assert.equal(format("{0} of {1}, {0}", ["a", 2]), "a of 2, a");
    assert.equal(english("Signed in as {0}.", "ana"), "Signed in as ana.");
    assert.equal(learnerLanguage({ preferences: { language: "es-MX" } }), "es");
    assert.equal(learnerLanguage({ preferences: { language: "fr" } }), undefined);
    assert.equal(learnerLanguage({}), undefined);
  });

  it("writes the review panel in the learner's language", () => {
    const spanish = fromBundle(loadBundle(ROOT, "es") ?? {});
    const snapshot = {
      id: "cs_1",
      task_id: "tsk_1",
      file_path: "app.py",
      validation_passed: false,
      validation_score: 0.4,
      review_status: "reviewed",
      issues_found: [
        { severity: "major", rule: "eval", message: "No uses eval", file: "app.py", start_line: 2, end_line: 2, suggestion: null },
      ],
      validation_feedback: "### Qué mejorar",
      metadata: {},
    } as unknown as Snapshot;
    const task = { id: "tsk_1", title: "Login", status: "failed", goal_id: "gol_1" } as unknown as Task;

    const markdown = reviewMarkdown({ snapshot, task, goal: undefined, pending: false }, spanish);

    assert.match(markdown, /^# Revisión de `app\.py`/);
    assert.match(markdown, /Tarea \*\*Login\*\* \(tsk_1\) — ahora \*fallido\*/);
    assert.match(markdown, /## ❌ No aprobado — puntuación 40%/);
    assert.match(markdown, /## Hallazgos \(1\)/);
    assert.match(markdown, /\| Gravedad \| Dónde \| Regla \| Mensaje \|/);
    assert.match(markdown, /\| importante \| app\.py:2 \| eval \| No uses eval \|/);
    assert.doesNotMatch(markdown, /Review of|Findings|Severity|score/);
  });

  it("shows a review awaiting the learner's judgement as waiting, never as not passed", () => {
    const spanish = fromBundle(loadBundle(ROOT, "es") ?? {});
    const snapshot = {
      id: "cs_2",
      task_id: "tsk_1",
      file_path: "suma.py",
      validation_passed: null,
      validation_score: null,
      review_status: "awaiting_judgement",
      review_reason: "Un criterio espera a una persona.",
      awaiting_criteria: [{ index: 0, label: "Devuelve la suma", reason: "nadie lo ha juzgado" }],
      issues_found: [],
      validation_feedback: null,
      metadata: {},
    } as unknown as Snapshot;
    const markdown = reviewMarkdown({ snapshot, task: undefined, goal: undefined, pending: false }, spanish);
    assert.match(markdown, /## ⏸️ A la espera de tu juicio/);
    assert.match(markdown, /- Devuelve la suma: nadie lo ha juzgado/);
    assert.doesNotMatch(markdown, /No aprobado|Not passed|score/);
  });

  it("names task types and statuses in the learner's words, never with the API's values", () => {
    const spanish = fromBundle(loadBundle(ROOT, "es") ?? {});
    assert.equal(taskTypeLabel("code", spanish), "código");
    assert.equal(taskTypeLabel("documentation", english), "documentation");
    assert.equal(taskTypeLabel("something_new", spanish), "otra");
    assert.equal(statusLabel("in_progress", spanish), "en curso");
    assert.equal(statusLabel("something_new", english), "unknown");
  });
});
