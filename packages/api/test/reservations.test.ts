import assert from "node:assert/strict";
import { it } from "node:test";
import { formatCidr } from "@lbipam/allocator";
import { type IPReservation, reservedCidrs } from "../src/index.js";

const reservation = (name: string, reservedCIDRs: string[]): IPReservation => ({
  metadata: { name },
  spec: { reservedCIDRs },
});

it("reads addresses and CIDRs of every reservation, and reports bad entries without stopping", () => {
  const { cidrs, problems } = reservedCidrs([
    reservation("a", ["192.0.2.3", "10.0.2.0/28", "2001:db8::/123", "2001:db8::7"]),
    reservation("b", ["10.0.0.1/24", "nope"]),
    { metadata: { name: "empty" }, spec: {} },
  ]);
  assert.deepEqual(cidrs.map(formatCidr), [
    "192.0.2.3/32",
    "10.0.2.0/28",
    "2001:db8::/123",
    "2001:db8::7/128",
  ]);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /^IPReservation b: spec\.reservedCIDRs: .*10\.0\.0\.1\/24.*host bits/);
  assert.match(problems[1]!, /^IPReservation b: spec\.reservedCIDRs: .*"nope"/);
});
