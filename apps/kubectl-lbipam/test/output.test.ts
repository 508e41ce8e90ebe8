// -o as kubectl has it: the formats, and the jsonpath subset (semantics of
// k8s.io/client-go/util/jsonpath/jsonpath.go: one expression's results joined
// by a space, objects as JSON, missing keys print nothing).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execute, parseTemplate } from "../src/jsonpath.js";
import { outputFormat, print } from "../src/output.js";

const document = {
  pools: [
    { name: "a", free: 3, total: "18446744073709551616", labels: { team: "red" } },
    { name: "b", free: 0, total: 4 },
  ],
};

describe("jsonpath", () => {
  const steps: [string, string][] = [
    ["{.pools[*].name}", "a b"],
    ["{.pools[0].free}", "3"],
    ["{.pools[-1].name}", "b"],
    ["{.pools[0:1].name}", "a"],
    ["{.pools[0].total}", "18446744073709551616"],
    ["{.pools[0].labels}", '{"team":"red"}'],
    ["{.pools[0]['labels'].team}", "red"],
    ["{.pools[1].labels.team}", ""],
    ["{.nope}", ""],
    ['{range .pools[*]}{.name}={.free}{"\\n"}{end}', "a=3\nb=0\n"],
    ["free: {.pools[*].free}", "free: 3 0"],
    ["{$.pools[1].name}", "b"],
  ];
  for (const [template, printed] of steps) {
    it(`${template} prints ${JSON.stringify(printed)}`, () => {
      assert.equal(execute(parseTemplate(template), document), printed);
    });
  }

  const refused: [string, RegExp][] = [
    ["{.pools[}", /unrecognized identifier/],
    ["{.pools", /unclosed action/],
    ["{range .pools[*]}{.name}", /range without end/],
    ["{end}", /nothing to end/],
    [`${"{range .pools[*]}".repeat(9)}${"{end}".repeat(9)}`, /nested deeper than 8/],
    [`{${".a".repeat(3000)}}`, /longer than 4096 bytes/],
  ];
  for (const [template, message] of refused) {
    it(`refuses ${template.slice(0, 30)} with a usage error`, () => {
      assert.throws(() => parseTemplate(template), message);
    });
  }
});

describe("output formats", () => {
  const printable = {
    document,
    items: document.pools,
    names: ["ippool.projectcalico.org/a", "ippool.projectcalico.org/b"],
    table: (wide: boolean) => (wide ? "wide table\n" : "table\n"),
  };
  const steps: [string | undefined, string][] = [
    [undefined, "table\n"],
    ["table", "table\n"],
    ["wide", "wide table\n"],
    ["name", "ippool.projectcalico.org/a\nippool.projectcalico.org/b\n"],
    ["jsonpath={.pools[*].name}", "a b"],
    [
      "custom-columns=NAME:.name,FREE:.free,TEAM:{.labels.team}",
      "NAME   FREE   TEAM\na      3      red\nb      0      <none>\n",
    ],
    ["json", `${JSON.stringify(document, null, 2)}\n`],
  ];
  for (const [flag, printed] of steps) {
    it(`-o ${flag ?? "(none)"}`, () => assert.equal(print(outputFormat(flag), printable), printed));
  }

  it("yaml keeps a count past 2^53 a string, exact", () => {
    assert.match(print(outputFormat("yaml"), printable), /total: "18446744073709551616"/);
  });

  it("names every format it has when one is unknown, as kubectl does", () => {
    assert.throws(
      () => outputFormat("xml"),
      /output format "xml", allowed formats are: custom-columns, json, jsonpath, name, table, wide, yaml/,
    );
    assert.throws(() => outputFormat("jsonpath"), /no template given/);
    assert.throws(() => outputFormat("custom-columns=NAME"), /expected <header>:<json-path-expr>/);
  });
});
