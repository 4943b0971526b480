"""Every rule the review can report has a calibrated entry with Spanish and English texts.

The rules come from the installed analyzers themselves (ruff's rule list filtered by the runner's own
selection, bandit's registered tests), so upgrading either, or selecting more rules, fails here until
the new rules are written for learners.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from bandit.core import extension_loader

from ai_goals_tracker.review.analyzers.python_tools import bandit_issues
from ai_goals_tracker.review.analyzers.ruff_runner import IGNORED_RULES, LEARNER_RULES, run_ruff
from ai_goals_tracker.review.rule_catalog import (
    MAX_FRAGMENT_CHARS,
    RuleText,
    all_rules,
    catalog_key,
    message_fragments,
    render,
    rule_text,
)

# The project's own analyzers' rule ids, and the values each one passes by name.
PROJECT_RULES: dict[str, frozenset[str]] = {
    "hardcoded-secret": frozenset({"name"}),
    "high-entropy-secret": frozenset(),
    "jwt-no-verify": frozenset(),
    "path-traversal": frozenset(),
    "shell-injection-js": frozenset(),
    "sql-injection-js": frozenset(),
    "tls-verify-off-js": frozenset(),
    "weak-password-hash": frozenset(),
    "js-eval": frozenset(),
    "js-new-function": frozenset(),
    "js-inner-html": frozenset(),
    "js-document-write": frozenset(),
    "react-dangerously-set-inner-html": frozenset(),
    "insecure-deserialization-js": frozenset(),
    "undefined-name-js": frozenset({"name"}),
    **{
        rule: frozenset()
        for rule in (
            "open-redirect",
            "ssrf",
            "xss-response",
            "template-injection",
            "header-injection",
            "log-injection",
            "secret-in-log",
            "ldap-injection",
            "xpath-injection",
            "nosql-injection",
            "regex-injection",
            "xxe",
            "mass-assignment",
            "resource-from-input",
            "insecure-random",
            "weak-cipher",
            "tls-verify-off",
            "permissive-cors",
            "weak-hash-signature",
            "sql-injection",
            "code-injection",
            "insecure-permissions",
            "sql-from-constants",
            "secret-in-url",
            "password-in-storage",
        )
    },
}
CATEGORIES = {"security", "bug", "syntax", "style", "complexity"}
SEVERITIES = {"critical", "major", "minor", "info"}
TYPES = {"essential", "actionable", "informative"}
TEXT_FIELDS = ("en", "es", "hint_en", "hint_es")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
CODE_SPAN = re.compile(r"`[^`]*`")
WORD = re.compile(r"[^\W\d_]+")
# Frequent Spanish words that are misspelt without their accent (outside code spans).
UNACCENTED = re.compile(
    r"\b(?:funcion|linea|codigo|excepcion|tambien|despues|numero|metodo|parametro|modulo|conexion|expresion|"
    r"comparacion|indice|vacio|facil|ejecucion|autenticacion|contrasenas?|aqui|asi|ningun|segun|caracter|"
    r"ultimo|unico|podria|sesion|informacion|version)\b"
)


# The ruff the review runs: the one installed with the package.
RUFF = (sys.executable, "-m", "ruff")


@cache
def ruff_json(*args: str) -> Any:
    completed = subprocess.run([*RUFF, *args], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


@cache
def ruff_rules() -> dict[str, dict[str, Any]]:
    return {rule["code"]: rule for rule in ruff_json("rule", "--all", "--output-format", "json") if rule["code"]}


def _selects(selector: str, code: str, linter_prefix: str) -> bool:
    # ruff reads a selector as a linter prefix plus a code prefix: "S" is flake8-bandit, never SIM or SLF.
    return code.startswith(selector) and selector.startswith(linter_prefix)


@cache
def selected_ruff_rules() -> frozenset[str]:
    """The stable rules the review's ruff run can emit (preview rules need `--preview`, which it never passes)."""
    prefixes = {linter["name"]: linter["prefix"] for linter in ruff_json("linter", "--output-format", "json")}
    selected = set()
    for code, rule in ruff_rules().items():
        if "Stable" not in rule["status"]:
            continue
        prefix = prefixes[rule["linter"]]
        if any(_selects(s, code, prefix) for s in LEARNER_RULES) and not any(
            _selects(s, code, prefix) for s in IGNORED_RULES
        ):
            selected.add(code)
    return frozenset(selected)


@cache
def bandit_tests() -> dict[str, str]:
    manager = extension_loader.MANAGER
    tests = {test_id: plugin.name for test_id, plugin in manager.plugins_by_id.items()}
    tests.update({test_id: entry["name"] for test_id, entry in manager.blacklist_by_id.items()})
    return tests


def raw_catalog() -> dict[str, dict[str, Any]]:
    source = resources.files("ai_goals_tracker.review").joinpath("rule_catalog.json")
    catalog: dict[str, dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    return catalog


def texts(entry: RuleText) -> dict[str, str]:
    return {field: getattr(entry, field) for field in TEXT_FIELDS}


def test_the_enumeration_matches_what_ruff_itself_enables(tmp_path: Path) -> None:
    source = tmp_path / "submission.py"
    source.write_text("")
    settings = subprocess.run(
        [
            *RUFF,
            "check",
            "--isolated",
            "--select",
            ",".join(LEARNER_RULES),
            "--ignore",
            ",".join(IGNORED_RULES),
            "--show-settings",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    enabled_block = settings.split("linter.rules.enabled = [", 1)[1].split("]", 1)[0]
    assert set(re.findall(r"\((\w+)\),", enabled_block)) == selected_ruff_rules()


def test_every_ruff_rule_the_review_selects_has_an_entry() -> None:
    assert len(selected_ruff_rules()) > 150
    missing = sorted(code for code in selected_ruff_rules() if rule_text(catalog_key(code)) is None)
    assert missing == []


def test_every_bandit_test_has_an_entry() -> None:
    assert len(bandit_tests()) > 60
    missing = sorted(test_id for test_id in bandit_tests() if rule_text(catalog_key(test_id)) is None)
    assert missing == []


def test_every_project_rule_has_an_entry() -> None:
    assert sorted(key for key in PROJECT_RULES if rule_text(key) is None) == []


def test_every_entry_names_a_rule_that_exists() -> None:
    bandit_names = {catalog_key(test_id): name for test_id, name in bandit_tests().items()}
    ruff_names = {code: rule["name"] for code, rule in ruff_rules().items()}
    wrong = []
    for key, entry in all_rules().items():
        expected = ruff_names.get(key) or bandit_names.get(key) or (key if key in PROJECT_RULES else None)
        if entry.name != expected:
            wrong.append((key, entry.name, expected))
    assert wrong == []


def test_fields_use_the_documented_values() -> None:
    for key, fields in raw_catalog().items():
        assert set(fields) - {"why", "cwe", "examples"} == {"name", "category", "severity", "type", *TEXT_FIELDS}, key
        assert "examples" not in fields or key in PROJECT_RULES, key
        assert fields["category"] in CATEGORIES, key
        assert fields["severity"] in SEVERITIES, key
        assert fields["type"] in TYPES, key
        assert isinstance(fields.get("why", ""), str), key


def test_blocking_is_the_same_thing_as_critical() -> None:
    # The engine blocks on `essential`; a critical finding that does not block (or the reverse) is a mistake.
    mismatched = [
        key for key, entry in all_rules().items() if (entry.type == "essential") != (entry.severity == "critical")
    ]
    informative_but_serious = [
        key
        for key, entry in all_rules().items()
        if entry.type == "informative" and entry.severity not in ("minor", "info")
    ]
    assert mismatched == []
    assert informative_but_serious == []


@pytest.mark.parametrize(
    ("keys", "category", "severity", "kind"),
    [
        (["F821", "F823", "F701", "F702", "F704", "F706"], "*", "critical", "essential"),
        (["PLE0101", "PLE0604", "PLE0605", "PLE1142"], "*", "critical", "essential"),
        (
            ["sec-102", "sec-307", "sec-608", "sec-602", "sec-604", "sec-605", "sec-609", "sec-301", "sec-302"],
            "security",
            "critical",
            "essential",
        ),
        (
            ["sec-506", "sec-701", "sec-702", "sec-308", "sec-703", "sec-501", "sec-601", "sec-610", "sec-611"],
            "security",
            "critical",
            "essential",
        ),
        (["B006"], "bug", "major", "actionable"),
        (
            ["sec-105", "sec-106", "sec-107", "sec-108", "sec-304", "sec-305"],
            "security",
            "major",
            "actionable",
        ),
        # A fast hash is right for a checksum or a cache key (weak-password-hash and weak-hash-signature
        # report the uses where it is wrong); Python's own XML parsers resolve no external entities (xxe
        # reports the parsers that do); PyCryptodome installs under PyCrypto's name.
        (["sec-303", "sec-324", "sec-413"], "security", "minor", "informative"),
        ([f"sec-{number}" for number in range(313, 320)], "security", "minor", "informative"),
        (["sec-312", "sec-321", "sec-401", "sec-402", "hardcoded-secret"], "security", "major", "actionable"),
        (["sec-104", "sec-113"], "security", "minor", "actionable"),
        (
            ["sec-101", "sec-110", "sec-112", "sec-404", "sec-603", "sec-607", "sec-311", "sec-403"],
            "security",
            "minor",
            "informative",
        ),
    ],
)
def test_calibration_follows_the_review_policy(keys: list[str], category: str, severity: str, kind: str) -> None:
    for key in keys:
        entry = rule_text(key)
        assert entry is not None, key
        assert (entry.severity, entry.type) == (severity, kind), key
        assert category in ("*", entry.category), key


def test_style_rules_never_block_or_weigh_as_bugs() -> None:
    style = [key for key in all_rules() if key.startswith(("E7", "SIM"))]
    assert style
    for key in style:
        entry = all_rules()[key]
        assert (entry.severity, entry.type) in {("minor", "actionable"), ("minor", "informative")}, key


def test_texts_are_present_and_translated() -> None:
    for key, entry in all_rules().items():
        for field, value in texts(entry).items():
            assert value.strip() == value and len(value) > 10, (key, field)
            assert value[-1] in ".?!)", (key, field)
        assert entry.es != entry.en, key
        assert entry.hint_es != entry.hint_en, key


def test_spanish_texts_are_spanish_prose_not_the_english_one() -> None:
    for key, entry in all_rules().items():
        for english, spanish in ((entry.en, entry.es), (entry.hint_en, entry.hint_es)):
            english_words = {word.lower() for word in WORD.findall(CODE_SPAN.sub(" ", english))}
            spanish_words = [word.lower() for word in WORD.findall(CODE_SPAN.sub(" ", spanish))]
            shared = sum(word in english_words for word in spanish_words)
            # Technical terms (HTML, XSS, SSH) are shared; an untranslated text shares nearly every word.
            assert shared <= len(spanish_words) / 2, (key, spanish)
            prose = CODE_SPAN.sub(" ", spanish).lower()
            assert UNACCENTED.search(prose) is None, (key, spanish)


def _fragment_problem(code: str, index: int) -> str | None:
    """Why `{index}` cannot stand for the same quoted value in every message ruff writes for `code`."""
    quoted_before: set[tuple[str, ...]] = set()
    for message_format in ruff_rules()[code]["message_formats"]:
        spans = list(CODE_SPAN.finditer(message_format))
        if len(spans) <= index:
            return "missing from one of the rule's messages"
        if re.search(r"\{[^{}]*\}", CODE_SPAN.sub("", message_format[: spans[index].start()])):
            return "an unquoted value before it may carry backticks and shift the count"
        quoted_before.add(tuple(span.group() for span in spans[: index + 1]))
    if len(quoted_before) != 1:
        return "not the same fragment in every message"
    if "{" not in next(iter(quoted_before))[index]:
        return "always the same constant text"
    return None


def _placeholder_problems(key: str, entry: RuleText) -> list[str]:
    used = {name for value in texts(entry).values() for name in PLACEHOLDER.findall(value)}
    problems = []
    if set(PLACEHOLDER.findall(entry.en)) != set(PLACEHOLDER.findall(entry.es)):
        problems.append("en and es use different placeholders")
    if key in PROJECT_RULES:
        problems.extend(f"{{{name}}} is not a value the analyzer passes" for name in used - PROJECT_RULES[key])
    elif key.startswith("sec-"):
        # bandit's messages quote nothing, so a security entry has no fragment to show.
        problems.extend(f"{{{name}}} in a security entry" for name in used)
    else:
        for name in used:
            problem = _fragment_problem(key, int(name)) if name.isdigit() else "named placeholder in a ruff entry"
            if problem:
                problems.append(f"{{{name}}}: {problem}")
    return problems


def test_placeholders_stand_for_a_fragment_every_message_of_the_rule_has() -> None:
    problems = {key: found for key, entry in all_rules().items() if (found := _placeholder_problems(key, entry))}
    assert problems == {}


def test_an_entry_reads_well_without_its_fragments() -> None:
    for key, entry in all_rules().items():
        for locale in ("en", "es"):
            message, hint = render(entry, locale, [])
            for text in (message, hint or ""):
                prose = CODE_SPAN.sub("`code`", text)
                assert not PLACEHOLDER.search(prose), (key, text)
                assert "``" not in text and "  " not in prose and "()" not in prose, (key, text)
                assert not re.search(r"\s[,.:;)]", prose), (key, text)
                assert text[0].isupper() or text[0] in "`¿¡", (key, text)


FLAWED_SUBMISSION = """\
import os
import re
import subprocess
import pickle


def keep(items=[]):
    for index in range(3):
        items.append(1)
    return items


def lookup(name, data):
    l = 1
    if name == None:
        return l
    for key in data.keys():
        if key is 1:
            return True
    return False


def load(raw, user):
    query = f"SELECT * FROM users WHERE name = '{user}'"
    subprocess.run("ls " + user, shell=True)
    print(re.sub("a", "b", raw, re.IGNORECASE), query, eval(raw), pickle.loads(raw))
    return undefined_thing
"""


def test_what_the_analyzers_report_on_a_flawed_submission_reads_in_spanish() -> None:
    reported = [(issue.code, issue.message) for issue in run_ruff(FLAWED_SUBMISSION, timeout=30)]
    reported += [(issue.test_id, issue.message) for issue in bandit_issues(FLAWED_SUBMISSION)]
    spanish = {}
    for rule, message in reported:
        entry = rule_text(catalog_key(rule))
        assert entry is not None, rule
        spanish[rule] = render(entry, "es", message_fragments(message))[0]
    assert {"F401", "B006", "B007", "E741", "E711", "F632", "B034", "F821", "S608", "B602", "B307"} <= set(spanish)
    assert spanish["F401"] == "La importación `os` no se usa en ningún sitio."
    assert spanish["B007"] == "La variable del bucle `index` no se usa dentro del bucle."
    assert spanish["B034"].startswith("Esta llamada (`re.sub`) tiene argumentos opcionales")
    assert spanish["F821"].startswith("El nombre `undefined_thing` no está definido")
    assert spanish["S608"] == spanish["B608"]
    assert all("{" not in message for message in spanish.values())


def test_missing_fragments_are_cut_out_cleanly() -> None:
    entry = rule_text("F401")
    assert entry is not None
    assert render(entry, "en", []) == ("The import is never used.", "Remove the import, or use what you imported.")
    sim110 = rule_text("SIM110")
    assert sim110 is not None
    assert render(sim110, "en", [])[0] == "This loop re-implements `any()` or `all()` and can be a single line."


def test_named_values_fill_the_project_rules() -> None:
    entry = rule_text("hardcoded-secret")
    assert entry is not None
    message, hint = render(entry, "es", [], name="db_password")
    assert message.startswith("Secreto escrito en el código (`db_password`)")
    assert hint == entry.hint_es


def test_learner_text_is_inserted_as_is_and_kept_short() -> None:
    entry = rule_text("F821")
    assert entry is not None
    assert render(entry, "en", ["{1}"])[0].startswith("The name `{1}` is not defined")
    long_name = "x" * 500
    message = render(entry, "en", [long_name])[0]
    assert f"`{'x' * (MAX_FRAGMENT_CHARS - 1)}…`" in message
    assert long_name not in message


@pytest.mark.parametrize(
    ("analyzer_rule", "key"),
    [
        ("S608", "sec-608"),
        ("B608", "sec-608"),
        ("B101", "sec-101"),
        ("B006", "B006"),
        ("B904", "B904"),
        ("F401", "F401"),
        ("PLE0101", "PLE0101"),
        ("SIM102", "SIM102"),
        ("hardcoded-secret", "hardcoded-secret"),
    ],
)
def test_catalog_key_shares_security_rules_between_ruff_and_bandit(analyzer_rule: str, key: str) -> None:
    assert catalog_key(analyzer_rule) == key
