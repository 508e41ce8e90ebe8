import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchesLabels, parseLabelSelector, SelectorError } from "../src/selectors/index.js";

const labels = { app: "web", tier: "front", weight: "10" };

function selects(selector: string, set: Record<string, string> = labels): boolean {
  return matchesLabels(parseLabelSelector(selector), set);
}

function parseError(selector: string): string {
  try {
    parseLabelSelector(selector);
  } catch (err) {
    assert.ok(err instanceof SelectorError);
    return err.message;
  }
  assert.fail(`"${selector}" parsed`);
}

describe("label selector parsing", () => {
  it("reads every operator and sorts requirements by key", () => {
    assert.deepEqual(parseLabelSelector("z,a=b,!c, d in (y,x,x) ,e notin (),f!=g,h==i,j>3,k<4"), [
      { key: "a", operator: "=", values: ["b"] },
      { key: "c", operator: "!", values: [] },
      { key: "d", operator: "in", values: ["x", "y"] },
      { key: "e", operator: "notin", values: [""] },
      { key: "f", operator: "!=", values: ["g"] },
      { key: "h", operator: "==", values: ["i"] },
      { key: "j", operator: "gt", values: ["3"] },
      { key: "k", operator: "lt", values: ["4"] },
      { key: "z", operator: "exists", values: [] },
    ]);
    assert.deepEqual(parseLabelSelector(""), []);
    assert.deepEqual(parseLabelSelector("a="), [{ key: "a", operator: "=", values: [""] }]);
    assert.deepEqual(parseLabelSelector("a in (in,notin)")[0]!.values, ["in", "notin"]);
    assert.deepEqual(parseLabelSelector("a in (,b,,)")[0]!.values, ["", "b"]);
  });

  it("gives kube's parse errors", () => {
    assert.equal(
      parseError("app:monolith"),
      `unable to parse requirement: <nil>: Invalid value: "app:monolith": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
    assert.equal(
      parseError("a b"),
      "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
    );
    assert.equal(parseError("a=b c"), "found 'c', expected: ',' or 'end of string'");
    assert.equal(parseError("a,"), "found '', expected: identifier after ','");
    assert.equal(parseError(",a"), "found ',', expected: !, identifier, or 'end of string'");
    assert.equal(parseError("a in x"), "unable to parse requirement: found 'x' expected: '('");
    assert.equal(parseError("a in (x y)"), "unable to parse requirement: found 'y', expected: ',' or ')'");
    assert.equal(
      parseError("a>x"),
      `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
    assert.match(parseError("a=b!c"), /^found '!', expected: ',' or 'end of string'$/);
    assert.match(
      parseError("a=-b"),
      /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b": a valid label/,
    );
  });
});

describe("label selector matching", () => {
  it("matches as kube does", () => {
    const cases: [string, boolean][] = [
      ["app=web", true],
      ["app==web,tier=front", true],
      ["app=db", false],
      ["app!=db", true],
      ["missing!=x", true],
      ["app in (db,web)", true],
      ["app notin (web)", false],
      ["missing notin (web)", true],
      ["missing in (web)", false],
      ["app", true],
      ["!app", false],
      ["!missing", true],
      ["weight>9", true],
      ["weight<10", false],
      ["app>1", false],
      ["", true],
    ];
    for (const [selector, expected] of cases) assert.equal(selects(selector), expected, selector);
    assert.equal(selects("a=", { a: "" }), true);
    assert.equal(selects("a=", {}), false);
  });
});
