"""Learner-facing texts in Spanish and English; `{placeholders}` are filled by `text()`."""

from __future__ import annotations

import re
from typing import Any

from ai_goals_tracker.review.models import Locale

_TEXTS: dict[str, dict[Locale, str]] = {
    # Finding messages and suggestions, keyed by our rule ids and by canonical analyzer rules.
    "syntax-error": {
        "en": "Syntax error: {detail}. Nothing else can be checked until the file parses.",
        "es": "Error de sintaxis: {detail}. No se puede revisar nada más hasta que el archivo compile.",
    },
    "syntax-error.hint": {
        "en": "Look at this line and the one before it: an unclosed bracket or quote, or a missing colon.",
        "es": "Mira esta línea y la anterior: un paréntesis o comilla sin cerrar, o unos dos puntos que faltan.",
    },
    "complexity": {
        "en": "`{name}` has cyclomatic complexity {value} (rank {rank}); it is hard to test every path.",
        "es": "`{name}` tiene complejidad ciclomática {value} (rango {rank}); es difícil probar todos sus caminos.",
    },
    "complexity.hint": {
        "en": "Split it into smaller functions, each with one job.",
        "es": "Divídela en funciones más pequeñas, cada una con una sola tarea.",
    },
    "deep-nesting": {
        "en": "`{name}` nests blocks {value} levels deep.",
        "es": "`{name}` anida bloques a {value} niveles de profundidad.",
    },
    "deep-nesting.hint": {
        "en": "Return early for the simple cases, or move the inner blocks into a helper function.",
        "es": "Sal antes en los casos simples, o lleva los bloques internos a una función auxiliar.",
    },
    "long-function": {
        "en": "`{name}` is {value} lines long.",
        "es": "`{name}` mide {value} líneas.",
    },
    "long-function.hint": {
        "en": "Long functions hide their steps; give each step a named function.",
        "es": "Las funciones largas esconden sus pasos; dale a cada paso una función con nombre.",
    },
    "not-reviewed.summary": {
        "en": "Not reviewed: {reason} This attempt neither passes nor fails the task.",
        "es": "Sin revisar: {reason} Este intento ni aprueba ni suspende la tarea.",
    },
    "not-reviewed.feedback": {
        "en": (
            "### Not reviewed\n{reason}\n\nNothing was decided about `{file}`: the task keeps its status. "
            "Submit again (or ask for a new review of this snapshot); if it keeps happening, ask a person to review it."
        ),
        "es": (
            "### Sin revisar\n{reason}\n\nNo se ha decidido nada sobre `{file}`: la tarea conserva su estado. "
            "Envíalo de nuevo (o pide una nueva revisión de este envío); si sigue ocurriendo, pide que lo revise "
            "una persona."
        ),
    },
    "not-reviewed.too-large": {
        "en": "The file is too large to review: {size} KB, and at most {limit} KB can be reviewed.",
        "es": (
            "El archivo es demasiado grande para revisarlo: ocupa {size} KB y se pueden revisar como máximo {limit} KB."
        ),
    },
    "not-reviewed.too-many-lines": {
        "en": (
            "The file is too large to review: {lines} lines, and at most {limit} can be reviewed. "
            "Split it into modules."
        ),
        "es": (
            "El archivo es demasiado grande para revisarlo: tiene {lines} líneas y se pueden revisar como máximo "
            "{limit}. Divídelo en módulos."
        ),
    },
    "not-reviewed.long-line": {
        "en": (
            "Line {line} is {chars} characters long (at most {limit}): generated or minified code cannot be reviewed."
        ),
        "es": (
            "La línea {line} tiene {chars} caracteres (como máximo {limit}): el código generado o minificado no se "
            "puede revisar."
        ),
    },
    "not-reviewed.language": {
        "en": "No analyzer here can check `{language}` code, so there is no evidence to judge it on.",
        "es": (
            "Ningún analizador de aquí puede revisar código `{language}`, así que no hay pruebas con las que juzgarlo."
        ),
    },
    "not-reviewed.analyzer-failed": {
        "en": "The {analyzer} analyzer could not finish ({reason}).",
        "es": "El analizador {analyzer} no pudo terminar ({reason}).",
    },
    "not-reviewed.timeout": {
        "en": "The {analyzer} step did not finish within the review's {seconds} s.",
        "es": "El paso {analyzer} no terminó dentro de los {seconds} s de la revisión.",
    },
    "not-reviewed.worker-stopped": {
        "en": "The review stopped its worker {attempts} time(s).",
        "es": "La revisión detuvo su proceso {attempts} vez/veces.",
    },
    # Feedback sections.
    "went-well": {"en": "What went well", "es": "Lo que está bien"},
    "fix-first": {"en": "Fix first", "es": "Corrige primero"},
    "severity.critical": {"en": "Critical", "es": "Crítico"},
    "severity.major": {"en": "Important", "es": "Importante"},
    "severity.minor": {"en": "Minor", "es": "Menor"},
    "severity.info": {"en": "For your information", "es": "Para tu información"},
    "criteria": {"en": "Criteria", "es": "Criterios"},
    "limits": {"en": "What this review could check", "es": "Qué pudo revisar esta revisión"},
    "line": {"en": "line {line}", "es": "línea {line}"},
    "lines": {"en": "lines {start}-{end}", "es": "líneas {start}-{end}"},
    "omitted": {
        "en": "…and {count} more {label} comment(s) omitted to keep this focused.",
        "es": "…y {count} comentario(s) más de tipo {label} omitidos para no dispersarte.",
    },
    "status.met": {"en": "met", "es": "cumplido"},
    "status.not_met": {"en": "not met", "es": "no cumplido"},
    "status.needs_human": {"en": "needs a person's judgement", "es": "necesita el juicio de una persona"},
    "praise.parses": {
        "en": "The {language} code parses without syntax errors ({loc} lines of code).",
        "es": "El código {language} no tiene errores de sintaxis ({loc} líneas de código).",
    },
    "praise.simple": {
        "en": "Functions stay simple: the most complex one has complexity {value} (rank {rank}).",
        "es": "Las funciones son sencillas: la más compleja tiene complejidad {value} (rango {rank}).",
    },
    "praise.maintainable": {
        "en": "Maintainability index {value:.0f}/100: easy to read and change.",
        "es": "Índice de mantenibilidad {value:.0f}/100: fácil de leer y cambiar.",
    },
    "praise.no-security": {
        "en": "No security problems found ({analyzers}).",
        "es": "No se encontraron problemas de seguridad ({analyzers}).",
    },
    "praise.criteria": {
        "en": "{met} of {total} checkable criteria met.",
        "es": "{met} de {total} criterios comprobables cumplidos.",
    },
    "praise.clean": {
        "en": "No findings from the linters: clean code.",
        "es": "Los analizadores no encontraron nada que comentar: código limpio.",
    },
    "summary.passed": {
        "en": "Passed with score {score:.2f}: {criteria}, {issues}.",
        "es": "Aprobado con puntuación {score:.2f}: {criteria}, {issues}.",
    },
    "summary.failed": {
        "en": "Not passed yet (score {score:.2f}): {criteria}, {issues}.",
        "es": "Aún no aprobado (puntuación {score:.2f}): {criteria}, {issues}.",
    },
    "summary.awaiting": {
        "en": "Nothing fails this code so far (score {score:.2f}: {criteria}, {issues}), but {waiting} "
        "criterion/criteria wait for a person's judgement: {labels}. Confirm or reject each to get the verdict.",
        "es": "Por ahora nada suspende este código (puntuación {score:.2f}: {criteria}, {issues}), pero "
        "{waiting} criterio(s) esperan el juicio de una persona: {labels}. Confirma o rechaza cada uno para "
        "obtener el veredicto.",
    },
    "judged-by-person": {"en": "Judged by a person", "es": "Juzgado por una persona"},
    "judgement-note": {"en": "Note: {note}", "es": "Nota: {note}"},
    "awaiting.reason": {
        "en": "No verdict yet: {count} criterion/criteria wait for you (or the goal's owner) to confirm or reject "
        "them. {criteria}",
        "es": "Aún sin veredicto: {count} criterio(s) esperan a que tú (o quien creó el objetivo) los confirmes o "
        "rechaces. {criteria}",
    },
    "summary.judged": {
        "en": "{judged} criterion/criteria judged by a person.",
        "es": "{judged} criterio(s) juzgados por una persona.",
    },
    "summary.criteria": {"en": "{met}/{total} criteria met", "es": "{met}/{total} criterios cumplidos"},
    "summary.no-criteria": {"en": "no checkable criteria", "es": "sin criterios comprobables"},
    "summary.issues": {
        "en": "{essential} blocking and {other} other comment(s)",
        "es": "{essential} bloqueante(s) y {other} comentario(s) más",
    },
    "note.syntax-skip": {
        "en": "The file does not parse, so linters, complexity and security analysis were skipped.",
        "es": "El archivo no compila, así que se omitieron linters, complejidad y análisis de seguridad.",
    },
    "evidence.needs-human": {
        "en": "Natural-language criterion: no check can decide it, so a person (you or the goal's owner) "
        "must confirm or reject it.",
        "es": "Criterio en lenguaje natural: ninguna comprobación puede decidirlo, así que una persona (tú o quien "
        "creó el objetivo) debe confirmarlo o rechazarlo.",
    },
    "evidence.learner-met": {
        "en": "Confirmed by the learner who submitted the code.",
        "es": "Confirmado por quien envió el código.",
    },
    "evidence.learner-not_met": {
        "en": "Rejected by the learner who submitted the code.",
        "es": "Rechazado por quien envió el código.",
    },
    "evidence.owner-met": {"en": "Confirmed by the goal's owner.", "es": "Confirmado por quien creó el objetivo."},
    "evidence.owner-not_met": {"en": "Rejected by the goal's owner.", "es": "Rechazado por quien creó el objetivo."},
    "llm.judged": {
        "en": "Judged by an AI model, not checked by the analyzers: {evidence}",
        "es": "Lo juzgó un modelo de IA, no lo comprobaron los analizadores: {evidence}",
    },
    "llm.comments": {"en": "Comments from the AI model ({model})", "es": "Comentarios del modelo de IA ({model})"},
    "llm.comments-note": {
        "en": "Written by a language model. The verdict, the score and every check above come from the analyzers "
        "and the tests; the model cannot change them.",
        "es": "Lo escribió un modelo de lenguaje. El veredicto, la puntuación y cada comprobación de arriba vienen "
        "de los analizadores y las pruebas; el modelo no puede cambiarlos.",
    },
    "evidence.unparsed": {
        "en": "The code has syntax errors, so its structure cannot be verified.",
        "es": "El código tiene errores de sintaxis, así que no se puede verificar su estructura.",
    },
    "evidence.defines-met": {
        "en": "`{name}` is defined as a {kind} at line {line}.",
        "es": "`{name}` está definido ({kind}) en la línea {line}.",
    },
    "evidence.defines-missing": {
        "en": "No definition of `{name}` was found.",
        "es": "No se encontró ninguna definición de `{name}`.",
    },
    "evidence.imports-met": {
        "en": "`{module}` is imported at line {line}.",
        "es": "`{module}` se importa en la línea {line}.",
    },
    "evidence.imports-missing": {
        "en": "`{module}` is never imported.",
        "es": "`{module}` no se importa en ningún sitio.",
    },
    "evidence.regex-met": {
        "en": "The pattern matches at line {line}.",
        "es": "El patrón coincide en la línea {line}.",
    },
    "evidence.regex-missing": {"en": "The pattern matches nowhere.", "es": "El patrón no coincide en ningún sitio."},
    "evidence.regex-forbidden": {
        "en": "The forbidden pattern matches at line {line}.",
        "es": "El patrón prohibido coincide en la línea {line}.",
    },
    "evidence.regex-absent": {
        "en": "The forbidden pattern does not appear.",
        "es": "El patrón prohibido no aparece.",
    },
    "evidence.complexity-met": {
        "en": "Highest complexity is {value} (limit {limit}).",
        "es": "La complejidad más alta es {value} (límite {limit}).",
    },
    "evidence.complexity-over": {
        "en": "`{name}` has complexity {value}, above the limit of {limit}.",
        "es": "`{name}` tiene complejidad {value}, por encima del límite de {limit}.",
    },
    "evidence.complexity-unknown": {
        "en": "Complexity cannot be measured for this language.",
        "es": "No se puede medir la complejidad en este lenguaje.",
    },
    "evidence.no-findings-met": {
        "en": "No findings of severity {severity} or worse.",
        "es": "Ningún hallazgo de severidad {severity} o peor.",
    },
    "evidence.no-findings-over": {
        "en": "{count} finding(s) of severity {severity} or worse, first at line {line}.",
        "es": "{count} hallazgo(s) de severidad {severity} o peor, el primero en la línea {line}.",
    },
    "evidence.invalid-check": {
        "en": "This check cannot be evaluated: {reason}.",
        "es": "Esta comprobación no se puede evaluar: {reason}.",
    },
    # Test criteria, run in the sandbox (ai_goals_tracker.sandbox). Test names and assertion
    # messages are inserted as written.
    "evidence.tests-passed": {
        "en": "All {total} test(s) pass.",
        "es": "Pasan las {total} prueba(s).",
    },
    "evidence.tests-failed": {
        "en": "{failed} of {total} test(s) fail: {details}.",
        "es": "Fallan {failed} de {total} prueba(s): {details}.",
    },
    "evidence.tests-more": {"en": "and {count} more", "es": "y {count} más"},
    "evidence.tests-timeout": {
        "en": "The tests did not finish within the time limit ({seconds:g} s) while running {test}: look for an "
        "endless loop or a call that waits forever.",
        "es": "Las pruebas no terminaron dentro del límite de tiempo ({seconds:g} s) mientras se ejecutaba "
        "{test}: busca un bucle infinito o una llamada que espera para siempre.",
    },
    "evidence.tests-timeout-import": {
        "en": "the import of your file",
        "es": "la importación de tu archivo",
    },
    "evidence.tests-output": {
        "en": "The tests were stopped: they printed more than the {limit} KB of output allowed.",
        "es": "Las pruebas se detuvieron: escribieron más de los {limit} KB de salida permitidos.",
    },
    "evidence.tests-not-run": {
        "en": "The tests could not run: {reason}",
        "es": "Las pruebas no se pudieron ejecutar: {reason}",
    },
    "evidence.tests-none": {
        "en": "The test module defines no test, so nothing was checked.",
        "es": "El módulo de pruebas no define ninguna prueba, así que no se comprobó nada.",
    },
    "evidence.regex-timeout": {
        "en": "The pattern took longer than {seconds:g} s on this file, so it was stopped: a person has to judge "
        "this criterion (the rest of the review stands).",
        "es": "El patrón tardó más de {seconds:g} s en este archivo y se detuvo: una persona tiene que juzgar este "
        "criterio (el resto de la revisión sigue en pie).",
    },
    "evidence.tests-refused-name": {
        "en": "The tests were not run: a file named `{name}` {reason}. Rename it (for example `solution{suffix}`) "
        "and submit again.",
        "es": "Las pruebas no se ejecutaron: un archivo llamado `{name}` {reason}. Cámbiale el nombre (por ejemplo "
        "`solution{suffix}`) y envíalo de nuevo.",
    },
    "evidence.tests-refused-name.harness": {
        "en": "would be loaded by Python, pytest or node on its own, before or instead of the tests",
        "es": "lo cargarían Python, pytest o node por su cuenta, antes que las pruebas o en su lugar",
    },
    "evidence.tests-refused-name.unusable": {
        "en": "is not a name a module can have (too long, or with control characters)",
        "es": "no es un nombre que pueda tener un módulo (demasiado largo, o con caracteres de control)",
    },
    "evidence.tests-refused-name.shadows": {
        "en": "would hide the module `{module}` that the tests or the tools they run need",
        "es": "ocultaría el módulo `{module}` que necesitan las pruebas o las herramientas que usan",
    },
    "evidence.tests-not-passed.skipped": {"en": "skipped", "es": "omitida"},
    "evidence.tests-not-passed.xfailed": {"en": "marked as expected to fail", "es": "marcada como fallo esperado"},
    "evidence.tests-not-passed.xpassed": {
        "en": "marked as expected to fail, so its pass does not count",
        "es": "marcada como fallo esperado, así que su éxito no cuenta",
    },
    "evidence.tests-not-passed.error": {
        "en": "error in its set-up or tear-down",
        "es": "error en su preparación o limpieza",
    },
    "evidence.tests-not-passed.missing": {
        "en": "never reported a result",
        "es": "nunca informó de un resultado",
    },
    "evidence.tests-not-passed": {
        "en": "{count} of {total} test(s) did not pass: {details}. Only a test that runs and passes counts.",
        "es": "{count} de {total} prueba(s) no pasaron: {details}. Solo cuenta una prueba que se ejecuta y pasa.",
    },
    "finding.test-failed": {
        "en": "The goal's test `{test}` fails here: {message}",
        "es": "La prueba `{test}` del objetivo falla aquí: {message}",
    },
    "finding.test-failed.hint": {
        "en": "Run the test's example by hand with this function and compare what it returns with what the test "
        "expects.",
        "es": "Ejecuta a mano el ejemplo de la prueba con esta función y compara lo que devuelve con lo que espera "
        "la prueba.",
    },
    "evidence.tests-wrong-language": {
        "en": "These are {framework} tests, for {expected} files; this file is {language}.",
        "es": "Son pruebas de {framework}, para archivos {expected}; este archivo es {language}.",
    },
    "evidence.sandbox-unavailable": {
        "en": "The tests were not run: {reason}. Submitted code only ever runs inside the sandbox, so a "
        "person has to judge this criterion.",
        "es": "Las pruebas no se ejecutaron: {reason}. El código enviado solo se ejecuta dentro del entorno "
        "aislado (sandbox), así que una persona tiene que juzgar este criterio.",
    },
}


# CPython's and tree-sitter's syntax messages, for Spanish; an unknown one is left out rather than shown in English.
_SYNTAX_ES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), spanish)
    for pattern, spanish in (
        (r"^invalid syntax\. Perhaps you forgot a comma\?$", "sintaxis no válida; ¿falta una coma?"),
        (r"^invalid syntax$", "sintaxis no válida"),
        (r"^'(.+)' was never closed$", "`{0}` no se cierra nunca"),
        (r"^unmatched '(.+)'$", "`{0}` no tiene pareja"),
        (r"^closing parenthesis '(.+)' does not match opening parenthesis '(.+)'", "`{0}` no cierra `{1}`"),
        (r"^expected '(.+)'$", "se esperaba `{0}`"),
        (r"^expected ':'$", "se esperaba `:`"),
        (r"^unterminated string literal", "cadena de texto sin cerrar"),
        (r"^unterminated triple-quoted string literal", "cadena de triple comilla sin cerrar"),
        (r"^expected an indented block after (.+) on line (\d+)$", "se esperaba un bloque sangrado (línea {1})"),
        (r"^expected an indented block", "se esperaba un bloque sangrado"),
        (r"^unindent does not match any outer indentation level$", "la sangría no coincide con ningún nivel exterior"),
        (r"^unexpected indent$", "sangría inesperada"),
        (r"^'(\w+)' outside function$", "`{0}` fuera de una función"),
        (r"^'(\w+)' outside loop$", "`{0}` fuera de un bucle"),
        (r"^'(\w+)' outside async function$", "`{0}` fuera de una función asíncrona"),
        (r"^invalid character '(.)' \((U\+[0-9A-F]+)\)$", "carácter no válido `{0}` ({1})"),
        (r"^invalid decimal literal$", "número decimal no válido"),
        (r"^cannot assign to (.+)$", "no se puede asignar a esa expresión"),
        (r"^Missing parentheses in call to '(\w+)'", "faltan los paréntesis en la llamada a `{0}`"),
        (r"^expected 'except' or 'finally' block$", "se esperaba un bloque `except` o `finally`"),
        (r"^f-string", "f-string mal formada"),
        (r"^too deeply nested for Python to compile$", "anidado demasiado profundo para que Python lo compile"),
        (r"^missing `(.+)`$", "falta `{0}`"),
        (r"^unexpected `(.+)`$", "`{0}` inesperado"),
        (r"^unexpected token$", "símbolo inesperado"),
    )
)


_KIND_ES = {"function": "función", "class": "clase", "variable": "variable", "name": "nombre"}


def kind_word(kind: str, locale: Locale) -> str:
    """What a definition is (`function`, `class`…), in the learner's language."""
    return _KIND_ES.get(kind, kind) if locale == "es" else kind


def syntax_detail(message: str, locale: Locale) -> str:
    """A parser's message in the learner's language (code fragments kept as written)."""
    if locale == "en":
        return message
    for pattern, spanish in _SYNTAX_ES:
        match = pattern.match(message)
        if match:
            return spanish.format(*match.groups())
    return "el analizador no puede leer esta línea"


def text(key: str, locale: Locale, **values: Any) -> str:
    template = _TEXTS[key][locale]
    return template.format(**values) if values else template


def has_text(key: str) -> bool:
    return key in _TEXTS
