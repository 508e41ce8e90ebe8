import assert from "node:assert/strict";
import { it } from "node:test";
import { PoolReferences } from "../src/controller/pool-references.js";

it("finds exactly the Services that hold or name a pool, by name or CIDR", () => {
  const refs = new PoolReferences();
  refs.set("ns/a", ["blue", "blue"]);
  refs.set("ns/b", ["10.0.0.0/24"]);
  refs.set("ns/c", ["green"]);
  assert.deepEqual([...refs.keysOf("blue", "10.0.0.0/24")].sort(), ["ns/a", "ns/b"]);
  refs.set("ns/a", ["green"]);
  assert.deepEqual([...refs.keysOf("blue")], []);
  assert.deepEqual([...refs.keysOf("green", undefined)].sort(), ["ns/a", "ns/c"]);
  refs.delete("ns/c");
  assert.deepEqual([...refs.keysOf("green")], ["ns/a"]);
  refs.set("ns/a", []);
  assert.deepEqual([...refs.keysOf("green")], []);
});
