import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSelector, SelectorSyntaxError } from "../src/index.js";

const red = { team: "red", env: "prod" };
const blue = { team: "blue" };
const none = {};

// [expression, matches red, matches blue, matches a namespace without labels]
const matches: [string, boolean, boolean, boolean][] = [
  ["", true, true, true],
  ["   ", true, true, true],
  ["all()", true, true, true],
  ["team == 'red'", true, false, false],
  ['team == "red"', true, false, false],
  ["team=='red'", true, false, false],
  ["team != 'red'", false, true, true],
  ["has(team)", true, true, false],
  ["has( team )", true, true, false],
  ["!has(team)", false, false, true],
  ["!!has(team)", true, true, false],
  ["team in {'red', 'green'}", true, false, false],
  ["team in {}", false, false, false],
  ["team in {'red',}", true, false, false],
  ["team not in {'red'}", false, true, true],
  ["team contains 'e'", true, true, false],
  ["team starts with 'bl'", false, true, false],
  ["team ends with 'ed'", true, false, false],
  ["team == 'red' && env == 'prod'", true, false, false],
  ["team == 'blue' || env == 'prod'", true, true, false],
  // && binds tighter than ||.
  ["team == 'blue' || team == 'red' && env == 'dev'", false, true, false],
  ["(team == 'blue' || team == 'red') && env == 'prod'", true, false, false],
  // ! binds tighter than &&.
  ["!team == 'red' && has(team)", false, true, false],
  ["!(team == 'red' && has(env))", false, true, true],
  ["has == 'x'", false, false, false],
  ["constructor == 'x'", false, false, false],
  ["has(constructor)", false, false, false],
  ["kubernetes.io/metadata.name == 'red'", false, false, false],
  ["team == 'red'\n&& has(env)", true, false, false],
];

describe("parseSelector", () => {
  for (const [expression, onRed, onBlue, onNone] of matches) {
    it(`${JSON.stringify(expression)} matches red=${onRed} blue=${onBlue} unlabelled=${onNone}`, () => {
      const matcher = parseSelector(expression);
      assert.deepEqual([matcher(red), matcher(blue), matcher(none)], [onRed, onBlue, onNone]);
    });
  }

  it("matches label keys with prefixes and dots", () => {
    assert.equal(
      parseSelector("kubernetes.io/metadata.name == 'red'")({ "kubernetes.io/metadata.name": "red" }),
      true,
    );
  });

  // [expression, position, part of the reason]
  const errors: [string, number, string][] = [
    ["team ==", 7, "expected a quoted string, found end of selector"],
    ["team == red", 8, "expected a quoted string, found 'r'"],
    ["team == 'red", 8, "unterminated string"],
    ["team", 4, 'expected an operator after label "team"'],
    ["team = 'red'", 5, "expected an operator"],
    ["team not 'red'", 9, "expected 'in' after 'not'"],
    ["team starts 'r'", 12, "expected 'with' after 'starts'"],
    ["team in 'red'", 8, "expected '{' to start a set"],
    ["team in {'red' 'blue'}", 15, "expected ',' or '}' in a set"],
    ["(has(team)", 10, "expected ')'"],
    ["has()", 4, "expected a label name in has()"],
    ["has(team", 8, "expected ')' after has(label"],
    ["all(x)", 4, "expected ')' after all("],
    ["global()", 0, 'unknown function "global"()'],
    ["has(team) has(env)", 10, "unexpected 'h' after a complete expression"],
    ["has(team) &&", 12, "unexpected end of selector"],
    ["&& has(team)", 0, "unexpected '&'"],
    ["has(team) & has(env)", 10, "unexpected '&' after a complete expression"],
    ["!", 1, "unexpected end of selector"],
    // Bounded work (#11): deep nesting would overflow the stack, huge text cost unbounded time.
    [`${"(".repeat(33)}all()${")".repeat(33)}`, 33, "nested deeper than 32 parentheses"],
    [`has(${"a".repeat(16 * 1024)})`, 0, "longer than 16384 characters"],
  ];
  for (const [expression, position, reason] of errors) {
    it(`refuses ${JSON.stringify(expression.slice(0, 40))} at ${position}: ${reason}`, () => {
      assert.throws(
        () => parseSelector(expression),
        (error: unknown) => {
          assert.ok(error instanceof SelectorSyntaxError);
          assert.equal(error.position, position);
          assert.ok(error.reason.includes(reason), error.reason);
          assert.ok(error.message.includes(JSON.stringify(expression).slice(0, 60)));
          assert.ok(error.message.length < 300, error.message);
          return true;
        },
      );
    });
  }
});
