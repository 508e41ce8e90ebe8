import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileCrd, humanDuration, printerColumnCells } from "../src/crd/index.js";
import type { KubeObject } from "../src/types.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("humanDuration", () => {
  const cases: [number, string][] = [
    [-3 * SECOND, "<invalid>"],
    [-1.5 * SECOND, "0s"],
    [0, "0s"],
    [119 * SECOND, "119s"],
    [2 * MINUTE, "2m"],
    [5 * MINUTE + 12 * SECOND, "5m12s"],
    [10 * MINUTE + 30 * SECOND, "10m"],
    [179 * MINUTE, "179m"],
    [3 * HOUR + 5 * MINUTE, "3h5m"],
    [8 * HOUR + 59 * MINUTE, "8h"],
    [47 * HOUR, "47h"],
    [2 * DAY + 3 * HOUR, "2d3h"],
    [8 * DAY + 23 * HOUR, "8d"],
    [729 * DAY, "729d"],
    [3 * 365 * DAY + 2 * DAY, "3y2d"],
    [9 * 365 * DAY, "9y"],
  ];
  for (const [milliseconds, expected] of cases) {
    it(`prints ${milliseconds} ms as ${expected}`, () => {
      assert.equal(humanDuration(milliseconds), expected);
    });
  }
});

function crdWithColumns(columns: { name: string; type: string; jsonPath: string }[]): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "things.example.com" },
    spec: {
      group: "example.com",
      scope: "Cluster",
      names: { plural: "things", kind: "Thing" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
}

describe("printerColumnCells", () => {
  const version = compileCrd(
    crdWithColumns([
      { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: "First", type: "string", jsonPath: ".status.conditions[0].type" },
      { name: "Last", type: "string", jsonPath: ".status.conditions[-1].type" },
      { name: "Quoted", type: "string", jsonPath: ".metadata.labels['app.kubernetes.io/name']" },
      { name: "Labels", type: "string", jsonPath: ".metadata.labels" },
      { name: "Count", type: "integer", jsonPath: ".spec.count" },
      { name: "CountText", type: "integer", jsonPath: ".spec.text" },
      { name: "Ratio", type: "number", jsonPath: ".spec.ratio" },
      { name: "On", type: "boolean", jsonPath: ".spec.on" },
      { name: "Number", type: "string", jsonPath: ".spec.count" },
      { name: "Missing", type: "string", jsonPath: ".spec.nothing.here" },
      { name: "Since", type: "date", jsonPath: ".spec.since" },
      { name: "Bad", type: "date", jsonPath: ".spec.text" },
      { name: "DateOnly", type: "date", jsonPath: ".spec.day" },
    ]),
  ).versions[0]!;

  it("evaluates each column's JSONPath with kube-apiserver's typing", () => {
    const object: KubeObject = {
      metadata: { name: "t", labels: { "app.kubernetes.io/name": "web", a: "<b>" } },
      spec: {
        count: 7.9,
        text: "seven",
        ratio: 2,
        on: true,
        since: "2026-01-01T00:00:00Z",
        day: "2026-01-01",
      },
      status: {
        conditions: [
          { type: "Synced", status: "False" },
          { type: "Ready", status: "True" },
        ],
      },
    };
    assert.deepEqual(printerColumnCells(version, object, Date.parse("2026-01-01T00:01:00Z")), [
      "True",
      "Synced",
      "Ready",
      "web",
      '{"a":"\\u003cb\\u003e","app.kubernetes.io/name":"web"}',
      7,
      null,
      2,
      true,
      "7.9",
      null,
      "60s",
      "<invalid>",
      "<invalid>",
    ]);
  });

  it("gives null cells when there is nothing to show", () => {
    assert.deepEqual(printerColumnCells(version, { metadata: { name: "t" } }), Array(14).fill(null));
  });
});
