"""Learner-facing texts in Spanish and English; `{placeholders}` are filled by `text()`."""

from __future__ import annotations

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
    "sql-injection": {
        "en": "SQL query built by string formatting: user input can change the query (SQL injection).",
        "es": "Consulta SQL construida formateando cadenas: la entrada del usuario puede alterarla (inyección SQL).",
    },
    "sql-injection.hint": {
        "en": "Pass the values as query parameters (placeholders such as `?` or `%s`) instead of formatting.",
        "es": "Pasa los valores como parámetros de la consulta (marcadores como `?` o `%s`) en lugar de insertarlos.",
    },
    "eval": {
        "en": "`eval` runs any text as code: whoever controls that text controls your program.",
        "es": "`eval` ejecuta cualquier texto como código: quien controle ese texto controla tu programa.",
    },
    "eval.hint": {
        "en": "Parse the value you expect instead (for numbers `int()`/`float()`, for literals `ast.literal_eval`).",
        "es": "Interpreta solo el valor esperado (números con `int()`/`float()`, literales con `ast.literal_eval`).",
    },
    "exec": {
        "en": "`exec` runs arbitrary code built at run time.",
        "es": "`exec` ejecuta código arbitrario construido en tiempo de ejecución.",
    },
    "shell-injection": {
        "en": "A shell command is built from data: it can run commands you did not intend.",
        "es": "Se construye un comando de shell a partir de datos: puede ejecutar comandos no previstos.",
    },
    "shell-injection.hint": {
        "en": "Pass the program and its arguments as a list, without `shell=True`.",
        "es": "Pasa el programa y sus argumentos como lista, sin `shell=True`.",
    },
    "hardcoded-secret": {
        "en": "Hard-coded secret (`{name}`): anyone who reads the code or its history gets it.",
        "es": "Secreto escrito en el código (`{name}`): cualquiera que lea el código o su historial lo obtiene.",
    },
    "hardcoded-secret.hint": {
        "en": "Read it from an environment variable or a secrets manager, and rotate the exposed value.",
        "es": "Léelo de una variable de entorno o de un gestor de secretos, y cambia el valor expuesto.",
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
    "js-eval": {
        "en": "`eval` runs any string as code.",
        "es": "`eval` ejecuta cualquier cadena como código.",
    },
    "js-new-function": {
        "en": "`new Function(...)` compiles a string into code, like `eval`.",
        "es": "`new Function(...)` compila una cadena como código, igual que `eval`.",
    },
    "js-eval.hint": {
        "en": "Use `JSON.parse` for data, or a lookup table of functions for behaviour.",
        "es": "Usa `JSON.parse` para datos, o una tabla de funciones para el comportamiento.",
    },
    "js-inner-html": {
        "en": "Assigning `innerHTML` inserts markup: user data here allows cross-site scripting (XSS).",
        "es": "Asignar `innerHTML` inserta HTML: con datos del usuario permite cross-site scripting (XSS).",
    },
    "js-inner-html.hint": {
        "en": "Use `textContent` for text, or build elements with `document.createElement`.",
        "es": "Usa `textContent` para texto, o crea elementos con `document.createElement`.",
    },
    "js-document-write": {
        "en": "`document.write` rewrites the page and is an XSS sink.",
        "es": "`document.write` reescribe la página y es un punto de entrada de XSS.",
    },
    "too-large": {
        "en": "The file is {size} KB; files over {limit} KB are only checked for size and secrets.",
        "es": "El archivo ocupa {size} KB; en archivos de más de {limit} KB solo se revisan tamaño y secretos.",
    },
    "analyzer-unavailable": {
        "en": "The {analyzer} check could not finish ({reason}); its results are missing from this review.",
        "es": "La revisión {analyzer} no pudo terminar ({reason}); sus resultados faltan en esta revisión.",
    },
    "undefined-name": {
        "en": "{detail}: this raises `NameError` when the line runs.",
        "es": "{detail}: esto lanza `NameError` cuando se ejecuta la línea.",
    },
    "unused-import": {"en": "{detail}.", "es": "Importación sin usar: {detail}."},
    "unused-variable": {"en": "{detail}.", "es": "Variable sin usar: {detail}."},
    "none-comparison": {
        "en": "{detail}: `None` is a singleton, compare it with `is`.",
        "es": "{detail}: `None` es único, compáralo con `is`.",
    },
    "bool-comparison": {
        "en": "{detail}: test the value directly instead of comparing with `True`/`False`.",
        "es": "{detail}: evalúa el valor directamente en lugar de compararlo con `True`/`False`.",
    },
    "bare-except": {
        "en": "A bare `except:` also catches Ctrl-C and typos; name the exception you expect.",
        "es": "Un `except:` sin tipo captura también Ctrl-C y errores de escritura; nombra la excepción esperada.",
    },
    "mutable-default": {
        "en": "A mutable default argument is shared between calls.",
        "es": "Un argumento por defecto mutable se comparte entre llamadas.",
    },
    "mutable-default.hint": {
        "en": "Default to `None` and create the list or dict inside the function.",
        "es": "Usa `None` por defecto y crea la lista o el diccionario dentro de la función.",
    },
    "analyzer-message": {"en": "{detail}", "es": "{detail}"},
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
    "status.needs_human": {"en": "needs a human reviewer", "es": "necesita revisión humana"},
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
    "summary.criteria": {"en": "{met}/{total} criteria met", "es": "{met}/{total} criterios cumplidos"},
    "summary.no-criteria": {"en": "no checkable criteria", "es": "sin criterios comprobables"},
    "summary.issues": {
        "en": "{essential} blocking and {other} other comment(s)",
        "es": "{essential} bloqueante(s) y {other} comentario(s) más",
    },
    "note.partial-language": {
        "en": "Language `{language}`: only size metrics and secret detection are available offline.",
        "es": "Lenguaje `{language}`: sin conexión solo se pueden medir el tamaño y detectar secretos.",
    },
    "note.syntax-skip": {
        "en": "The file does not parse, so linters, complexity and security analysis were skipped.",
        "es": "El archivo no compila, así que se omitieron linters, complejidad y análisis de seguridad.",
    },
    "evidence.needs-human": {
        "en": "Natural-language criterion: no deterministic check applies, so a reviewer (or the LLM) must judge it.",
        "es": "Criterio en lenguaje natural: no hay comprobación determinista; debe juzgarlo una persona (o el LLM).",
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
    "review-failed.summary": {
        "en": "The review could not be completed, so this attempt is not accepted.",
        "es": "La revisión no se pudo completar, así que este intento no se acepta.",
    },
    "review-failed.feedback": {
        "en": (
            "The automatic review of `{file}` failed {attempts} time(s) and was stopped. This says nothing "
            "about your code: submit it again, and if it keeps happening, ask for a human review."
        ),
        "es": (
            "La revisión automática de `{file}` falló {attempts} vez/veces y se detuvo. No dice nada de tu "
            "código: envíalo de nuevo y, si sigue ocurriendo, pide una revisión humana."
        ),
    },
    "evidence.analyzer-missing": {
        "en": "The analyzer this check needs did not finish.",
        "es": "El analizador que necesita esta comprobación no terminó.",
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


def text(key: str, locale: Locale, **values: Any) -> str:
    template = _TEXTS[key][locale]
    return template.format(**values) if values else template


def has_text(key: str) -> bool:
    return key in _TEXTS
