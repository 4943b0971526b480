// The extension's texts go through `t`, which is `vscode.l10n.t` inside the editor (so they follow
// VS Code's display language, from l10n/bundle.l10n.<language>.json) and plain English elsewhere.
// No `vscode` import: the modules that build texts stay testable under node.
import { readFileSync } from "node:fs";
import * as path from "node:path";

export type Translate = (message: string, ...args: Array<string | number>) => string;

/** `{0}`, `{1}`… replaced by the arguments, as `vscode.l10n.t` does. */
export function format(message: string, args: Array<string | number>): string {
  return message.replace(/\{(\d+)\}/g, (whole, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? whole : String(value);
  });
}

export const english: Translate = (message, ...args) => format(message, args);

/** A translator from a bundle (`{"English text": "translation"}`); a text missing from it stays English. */
export function fromBundle(bundle: Record<string, string>): Translate {
  return (message, ...args) => format(bundle[message] ?? message, args);
}

/** The bundle shipped for `language` (`es`), if there is one. */
export function loadBundle(extensionRoot: string, language: string): Record<string, string> | undefined {
  try {
    const file = path.join(extensionRoot, "l10n", `bundle.l10n.${language}.json`);
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** The language a learner chose (`metadata.preferences.language`: `es`, `es-MX`, `en`…), if any. */
export function learnerLanguage(metadata: Record<string, unknown> | undefined): "es" | "en" | undefined {
  const preferences = metadata?.preferences;
  const language =
    preferences && typeof preferences === "object" ? (preferences as Record<string, unknown>).language : undefined;
  const code = typeof language === "string" ? language.trim().toLowerCase().split(/[-_]/)[0] : "";
  return code === "es" || code === "en" ? code : undefined;
}

let active: Translate = english;

/** Called once by the extension with `vscode.l10n.t`. */
export function useTranslator(translate: Translate): void {
  active = translate;
}

export const t: Translate = (message, ...args) => active(message, ...args);
