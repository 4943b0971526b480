"""node:test across the boundary: the goal's tests in one process, the learner's module in another.

Tampering (each technique a learner could use to get a pass it has not earned) ends with the test
it aimed at not passed; the controls (the catalog's reference solutions, and the things ordinary
tests do: mutation in place, classes with state, async functions, callbacks, errors with their
properties) still pass. Everything runs through `run_tests`, as a review does.
"""

from __future__ import annotations

import pytest

from ai_goals_tracker.sandbox.expected_node import node_expected_tests
from ai_goals_tracker.sandbox.jail import Jail, JailLimits, node_runtime
from ai_goals_tracker.sandbox.testrun import TestRun, run_tests
from ai_goals_tracker.search.catalog import CatalogGoal, load_catalog

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(node_runtime() is None, reason="node is not installed: no node:test runs here"),
]

# In one process each of these would pass with a wrong `add`; `adds` is the test they aim at.
GOAL = """
const { test } = require('node:test');
const assert = require('node:assert/strict');
const calc = require('./calc');

test('adds', () => { assert.equal(calc.add(1, 2), 3); });
test('totals', () => { assert.deepEqual(calc.total([1, 2]), { sum: 3, count: 2 }); });
"""
LOOSE_GOAL = GOAL.replace("node:assert/strict", "node:assert")
ASYNC_GOAL = """
const { test } = require('node:test');
const assert = require('node:assert/strict');
const calc = require('./calc');

test('adds', async () => { assert.equal(await calc.add(1, 2), 3); });
"""
CALLBACK_GOAL = """
const { test } = require('node:test');
const assert = require('node:assert/strict');
const calc = require('./calc');

test('adds', () => { assert.deepEqual(calc.map([1, 2], (x) => x * 2), [2, 4]); });
test('totals', () => { assert.equal(calc.total([1, 2]).sum, 3); });
"""
RIGHT = """
module.exports = {
  add: (a, b) => a + b,
  total: (xs) => ({ sum: xs.reduce((s, x) => s + x, 0), count: xs.length }),
  map: (xs, f) => xs.map((x) => f(x)),
};
"""
WRONG = "module.exports = { add: (a, b) => a - b, total: () => ({}), map: () => [] };\n"
# What a learner who reached the tests' process would write: a pass for every test, under the
# run's marker, then the end of the run.
FORGE = (
    "const m = process.env.AIGT_REPORT_MARKER || '';"
    "for (const n of ['adds', 'totals']) process.stdout.write(m + JSON.stringify({ event: 'test', test: n,"
    " status: 'passed', message: null }) + '\\n');"
    "process.stdout.write(m + JSON.stringify({ event: 'done' }) + '\\n'); process.exit(0);"
)

TAMPERING: dict[str, tuple[str, str]] = {
    # Results that are not what they claim to be.
    "an object whose valueOf says 3, compared with ==": (
        LOOSE_GOAL,
        "module.exports = { add: () => ({ valueOf() { return 3; }, toString() { return '3'; } }), total: () => ({}) };",
    ),
    "a class instance whose Symbol.toPrimitive says 3": (
        LOOSE_GOAL,
        "class Three { [Symbol.toPrimitive]() { return 3; } }\n"
        "module.exports = { add: () => new Three(), total: () => ({}) };",
    ),
    "a duck-typed instance with the expected fields, compared loosely": (
        LOOSE_GOAL.replace("assert.equal(calc.add(1, 2), 3)", "assert.deepEqual(calc.add(1, 2), { sum: 3, count: 2 })"),
        "class Total { constructor() { this.sum = 3; this.count = 2; } }\n"
        "module.exports = { add: () => new Total(), total: () => new Total() };",
    ),
    "a Proxy that claims to be a plain object": (
        GOAL.replace("assert.equal(calc.add(1, 2), 3)", "assert.deepEqual(calc.add(1, 2), { sum: 3, count: 2 })"),
        "module.exports = { add: () => new Proxy({ sum: 3, count: 2 }, { getPrototypeOf: () => Object.prototype }),"
        " total: () => new Proxy({ sum: 3, count: 2 }, { getPrototypeOf: () => Object.prototype }) };",
    ),
    # The framework and the language, patched in the learner's process.
    "assert patched to accept anything": (
        GOAL,
        "for (const name of ['node:assert', 'node:assert/strict', 'assert']) {\n"
        "  const a = require(name);\n"
        "  for (const k of Object.keys(a)) { try { a[k] = () => {}; } catch {} }\n"
        "}\n" + WRONG,
    ),
    "node:test and the output it reports on patched": (
        GOAL,
        "const t = require('node:test'); t.test = t.it = () => {}; t.describe = () => {};\n"
        "const write = process.stdout.write.bind(process.stdout);\n"
        "process.stdout.write = (chunk, ...rest) => write(String(chunk).replace(/not ok/g, 'ok')"
        '.replace(/"status":"failed"/g, \'"status":"passed"\'), ...rest);\n' + WRONG,
    ),
    "Object.prototype polluted with the expected fields": (
        GOAL.replace("calc.add(1, 2), 3", "calc.total([1, 2]).sum, 3"),
        "Object.prototype.sum = 3; Object.prototype.count = 2;\n"
        "Object.defineProperty(Object.prototype, 'equal', { value: () => true });\n" + WRONG,
    ),
    "a __proto__ key in the returned data": (
        GOAL.replace("calc.add(1, 2), 3", "calc.total([1, 2]).sum, 3"),
        'module.exports = { add: () => 0, total: () => JSON.parse(\'{"__proto__": {"sum": 3}, "count": 2}\') };',
    ),
    # Report lines written where the reporter writes, or the tests' process reached.
    "forged report lines on stdout and stderr": (
        GOAL,
        "for (const marker of ['', '@aigt-0000000000000000@', process.env.AIGT_REPORT_MARKER || '']) {\n"
        "  const line = marker + JSON.stringify({ event: 'test', test: 'adds', status: 'passed', message: null });\n"
        "  console.log(line); console.error(line); process.stdout.write(line + '\\n');\n"
        "}\n" + WRONG,
    ),
    "frames written on the socket out of turn": (
        GOAL,
        "const fs = require('node:fs');\n"
        "function frame(m) { const b = Buffer.from(JSON.stringify(m)); const h = Buffer.alloc(4);"
        " h.writeUInt32BE(b.length); return Buffer.concat([h, b]); }\n"
        "module.exports = { add() { for (let r = 1; r < 20; r += 1) fs.writeSync(3, frame({ r, v: 3 })); return 0; },"
        " total() { fs.writeSync(3, Buffer.from([255, 255, 255, 255, 0])); return {}; } };",
    ),
    "the tests' Function reached through a callback they passed": (
        CALLBACK_GOAL,
        "function escape(f) {\n"
        "  const paths = [() => f.constructor, () => f.call.constructor, () => f['__proto__'].constructor,\n"
        "    () => f.__lookupGetter__('__proto__').call(f).constructor, () => Object.getPrototypeOf(f).constructor,\n"
        "    () => f.bind.constructor.constructor];\n"
        "  for (const path of paths) {\n"
        "    try { const F = path(); if (typeof F === 'function') F(" + repr(FORGE) + ")(); } catch {}\n"
        "  }\n"
        "}\n"
        "module.exports = { map(xs, f) { escape(f); return []; }, total: () => ({}) };",
    ),
    # The learner's process ending or misbehaving.
    "process.exit(0) at import": (GOAL, "process.exit(0);\n" + RIGHT),
    "process.exit(0) in the call": (
        GOAL,
        "module.exports = { add() { process.exit(0); }, total() { process.exit(0); } };",
    ),
    # Its parent and its namespace's first process (never kill(-1): run outside a jail as root, that
    # is every process of the machine).
    "signals to its parent, to the first process it sees and to itself": (
        GOAL,
        "module.exports = {\n"
        "  add() { try { process.kill(process.ppid, 'SIGKILL'); } catch {} process.kill(process.pid, 'SIGKILL'); },"
        " total() { try { process.kill(1, 'SIGKILL'); } catch {} process.kill(process.pid, 'SIGKILL'); } };",
    ),
    "throwing values that are not errors": (
        GOAL,
        "module.exports = { add() { throw 3; }, total() { throw { passed: true, status: 'passed' }; } };",
    ),
    "test.skip and test.todo called from the learner's code": (
        GOAL,
        "const t = require('node:test');\n"
        "module.exports = { add() { t.test.skip('adds'); t.test.todo('adds'); t.mock.reset(); return 0; },"
        " total() { t.test('totals', { skip: true }); return {}; } };",
    ),
    "reading the tests' source to answer what they expect": (
        GOAL,
        "const fs = require('node:fs');\n"
        "let source = '';\n"
        "for (const dir of ['/tmp/run', process.cwd(), '/tmp']) {\n"
        "  try {\n"
        "    for (const f of fs.readdirSync(dir)) {\n"
        "      try { source += fs.readFileSync(dir + '/' + f, 'utf8'); } catch {}\n"
        "    }\n"
        "  } catch {}\n"
        "}\n"
        "const found = /calc\\.add\\(1, 2\\), (\\d+)/.exec(source);\n"
        "module.exports = { add: () => (found ? Number(found[1]) : 0), total: () => ({}) };",
    ),
    "a promise that never settles": (ASYNC_GOAL, "module.exports = { add: () => new Promise(() => {}) };"),
    "the report's marker read from the environment, the callback's source read for its answers": (
        CALLBACK_GOAL,
        "module.exports = {\n"
        "  map(xs, f) {\n"
        "    const m = process.env.AIGT_REPORT_MARKER || '';\n"
        "    console.log(m + JSON.stringify({ event: 'test', test: 'adds', status: 'passed', message: null }));\n"
        "    let source = String(f); try { source += f.toString(); } catch {}\n"
        "    return source.includes('x * 2') ? xs.map((x) => x * 2) : [];\n"
        "  },\n"
        "  total: () => ({}),\n"
        "};",
    ),
}


@pytest.fixture(scope="module")
def jail() -> Jail:
    return Jail()


def _run(jail: Jail, tests: str, code: str, file_path: str = "calc.js") -> TestRun:
    return run_tests(jail, "node", tests, code, file_path)


def _status(run: TestRun, name: str) -> str | None:
    return next((test.status for test in run.tests if test.name == name), None)


def test_the_right_solution_passes_each_goal_of_the_corpus(jail: Jail) -> None:
    for goal in (GOAL, LOOSE_GOAL, CALLBACK_GOAL):
        run = _run(jail, goal, RIGHT)
        assert run.passed, run
    run = _run(jail, ASYNC_GOAL, "module.exports = { add: async (a, b) => a + b };")
    assert run.passed, run


@pytest.mark.parametrize("technique", list(TAMPERING))
def test_tampering_never_passes(jail: Jail, technique: str) -> None:
    tests, code = TAMPERING[technique]
    run = _run(jail, tests, code)
    assert not run.passed
    # The test the technique aimed at did not pass (it failed, or the run could not finish).
    assert _status(run, "adds") != "passed", run


def test_loops_and_floods_end_at_the_limits_without_a_pass() -> None:
    jail = Jail(limits=JailLimits(cpu_seconds=2, wall_seconds=20))
    for code in (
        "module.exports = { add() { for (;;) {} }, total: () => ({}) };",
        "module.exports = { add() { for (;;) process.stdout.write('x'.repeat(65536)); }, total: () => ({}) };",
        "module.exports = { add() { const fs = require('node:fs'); for (;;) fs.writeSync(3, Buffer.alloc(65536, 1)); },"
        " total: () => ({}) };",
    ):
        run = _run(jail, GOAL, code)
        assert not run.passed
        assert _status(run, "adds") != "passed", run


def test_a_learner_that_dies_fails_every_later_call_in_words(jail: Jail) -> None:
    run = _run(jail, GOAL, "module.exports = { add() { process.exit(0); }, total: () => ({ sum: 3, count: 2 }) };")
    assert [(test.name, test.status) for test in run.tests] == [("adds", "failed"), ("totals", "failed")]
    assert all("the learner's program ended" in (test.message or "") for test in run.tests)


def test_skipped_and_todo_tests_are_not_passes(jail: Jail) -> None:
    tests = GOAL + "test.skip('skipped', () => {});\ntest.todo('todo', () => {});\n"
    run = _run(jail, tests, RIGHT)
    assert _status(run, "skipped") == "skipped" and _status(run, "todo") == "skipped"
    assert not run.passed


# The controls: what ordinary tests do keeps working across the boundary.
LIBRARY = """
class ValidationError extends Error {
  constructor(message, field) {
    super(message); this.name = 'ValidationError'; this.field = field; this.code = 'E_INVALID';
  }
}
class Counter {
  #n = 0;
  constructor(start = 0) { this.#n = start; }
  inc(by = 1) { this.#n += by; return this; }
  get value() { return this.#n; }
  toString() { return `Counter(${this.#n})`; }
}
function sortInPlace(list) { list.sort((a, b) => a - b); return list; }
function addKey(obj) { obj.added = true; delete obj.gone; }
function values() {
  return { u: undefined, n: null, nan: NaN, inf: -Infinity, z: -0, big: 10n ** 20n, d: new Date(0),
    m: new Map([[1, 'a']]), s: new Set([1, 2]), b: Buffer.from('hi'), r: /a+/gi, nested: [[1, [2]]] };
}
function cyclic() { const a = { name: 'a' }; a.self = a; return a; }
async function later(x) { await new Promise((resolve) => setTimeout(resolve, 5)); return x * 2; }
async function failLater() { await null; throw new RangeError('nope'); }
function andThen(x, f) { return f(x) + 1; }
async function useAsync(f) { return (await f(2)) + 1; }
function validate(x) {
  if (!x) throw new ValidationError('x is required', 'x');
  return x;
}
function* count(n) { for (let i = 0; i < n; i += 1) yield i; }
module.exports = { ValidationError, Counter, sortInPlace, addKey, values, cyclic, later, failLater, andThen, useAsync,
  validate, count };
"""
LIBRARY_TESTS = """
const { test, describe, it } = require('node:test');
const assert = require('node:assert/strict');
const lib = require('./lib');

test('arguments mutated in place', () => {
  const list = [3, 1, 2];
  assert.equal(lib.sortInPlace(list), list);
  assert.deepEqual(list, [1, 2, 3]);
  const obj = { gone: 1 };
  lib.addKey(obj);
  assert.deepEqual(obj, { added: true });
});

test('a class with state', () => {
  const counter = new lib.Counter(2);
  counter.inc().inc(3);
  assert.equal(counter.value, 6);
  assert.ok(counter instanceof lib.Counter);
  assert.equal(String(counter), 'Counter(6)');
  assert.notDeepEqual(counter, {});
});

test('plain data of every kind', () => {
  assert.deepEqual(lib.values(), { u: undefined, n: null, nan: NaN, inf: -Infinity, z: -0, big: 10n ** 20n,
    d: new Date(0), m: new Map([[1, 'a']]), s: new Set([1, 2]), b: Buffer.from('hi'), r: /a+/gi, nested: [[1, [2]]] });
  const c = lib.cyclic();
  assert.equal(c.self, c);
});

describe('async', () => {
  it('awaits and rejects', async () => {
    assert.equal(await lib.later(21), 42);
    await assert.rejects(lib.failLater(), RangeError);
    assert.deepEqual(await Promise.all([lib.later(1), lib.later(2)]), [2, 4]);
  });
});

test('callbacks, plain and async', async () => {
  assert.equal(lib.andThen(3, (x) => x * 2), 7);
  assert.equal(await lib.useAsync(async (x) => x * 10), 21);
  assert.equal(await lib.useAsync(async (x) => { await new Promise((r) => setTimeout(r, 5)); return x; }), 3);
});

test('errors with their properties', () => {
  assert.throws(() => lib.validate(0),
    { name: 'ValidationError', message: 'x is required', field: 'x', code: 'E_INVALID' });
  assert.throws(() => lib.validate(0), lib.ValidationError);
  assert.throws(() => lib.validate(0), Error);
});

test('generators [and a name with brackets]', () => {
  assert.deepEqual([...lib.count(3)], [0, 1, 2]);
});
"""


def test_ordinary_tests_keep_working_across_the_boundary(jail: Jail) -> None:
    run = _run(jail, LIBRARY_TESTS, LIBRARY, "lib.js")
    assert run.passed, run
    assert [test.name for test in run.tests] == node_expected_tests(LIBRARY_TESTS)


def test_the_environment_and_the_console_are_the_tests(jail: Jail) -> None:
    tests = """
const { test, mock } = require('node:test');
const assert = require('node:assert/strict');
const config = require('./config');

test('reads what the test set', () => {
  process.env.PORT = '3000';
  assert.equal(config.port(), 3000);
  config.remember();
  assert.equal(process.env.SEEN, 'yes');
});

test('prints through the console of the tests', () => {
  const log = mock.method(console, 'log', () => {});
  config.greet('Ana');
  assert.deepEqual(log.mock.calls.map((call) => call.arguments), [['Hello, Ana!']]);
});
"""
    code = """
module.exports = {
  port: () => Number(process.env.PORT ?? 80),
  remember: () => { process.env.SEEN = 'yes'; },
  greet: (name) => console.log(`Hello, ${name}!`),
};
"""
    run = _run(jail, tests, code, "config.js")
    assert run.passed, run


def test_a_failure_points_at_the_learners_line(jail: Jail) -> None:
    tests = (
        "const { test } = require('node:test');\nconst lib = require('./lib');\n"
        "test('validates', () => { lib.validate(0); });\n"
    )
    run = _run(jail, tests, LIBRARY, "lib.js")
    [result] = run.tests
    assert result.status == "failed"
    assert result.message == "ValidationError: x is required"
    assert result.line == LIBRARY.splitlines().index("  if (!x) throw new ValidationError('x is required', 'x');") + 1


def test_a_failed_assertion_points_at_the_learners_function_called_last(jail: Jail) -> None:
    code = "const helper = (x) => x;\n\nfunction add(a, b) {\n  return helper(a - b);\n}\n\nmodule.exports = { add };\n"
    tests = (
        "const { test } = require('node:test');\nconst assert = require('node:assert/strict');\n"
        "const calc = require('./calc');\ntest('adds', () => { assert.equal(calc.add(1, 2), 3); });\n"
    )
    [result] = _run(jail, tests, code).tests
    assert (result.status, result.line) == ("failed", 3)


def test_a_test_the_report_leaves_out_is_missing_not_passed(jail: Jail) -> None:
    # The second test is declared only after a learner's call that ends its process mid-module.
    tests = GOAL + "calc.add(0, 0);\ntest('after', () => {});\n"
    code = "module.exports = { add(a, b) { if (a === 0) process.exit(0); return a + b; }, total: (x) => x };"
    run = _run(jail, tests, code)
    assert not run.passed


def _javascript_goals() -> list[CatalogGoal]:
    return [
        goal
        for goal in load_catalog()
        if goal.tests is not None
        and goal.solution is not None
        and goal.tests.framework == "node"
        and goal.solution.file_path.endswith((".js", ".cjs"))
    ]


@pytest.mark.parametrize("goal", _javascript_goals(), ids=lambda goal: goal.key)
def test_the_catalogs_javascript_goals_pass_with_their_reference_solutions(jail: Jail, goal: CatalogGoal) -> None:
    assert goal.tests is not None and goal.solution is not None
    run = run_tests(jail, "node", goal.tests.code, goal.solution.code, goal.solution.file_path)
    assert run.passed, run
    assert [test.name for test in run.tests] == node_expected_tests(goal.tests.code)


def test_expected_tests_are_read_from_literal_names_only() -> None:
    code = (
        "const { test, describe, it } = require('node:test');\n"
        "describe('A', () => { it(`b`, async (t) => { await t.test('c', () => {}); }); });\n"
        "test.skip('x', function () {});\nconst ok = /a/.test('a');\n"
    )
    assert node_expected_tests(code) == ["A > b", "A > b > c", "x"]
    assert node_expected_tests("for (const c of [1]) test('x', () => {});") is None
    assert node_expected_tests("test(`x ${1}`, () => {});") is None
    assert node_expected_tests("function helper() { test('never', () => {}); }") is None
    assert node_expected_tests("test(name, () => {});") is None
    # node:test under another name, or no declaration found: the run's own report decides.
    assert node_expected_tests("const t = require('node:test');\nt('x', () => {});\n") is None
    assert node_expected_tests("const { test: check } = require('node:test');\ncheck('x', () => {});\n") is None
    assert node_expected_tests("const m = require('./m');\n") is None
