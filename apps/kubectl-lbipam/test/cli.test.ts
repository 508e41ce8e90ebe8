import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../src/cli.js";
import { fixturePath } from "./helpers/fixtures.js";

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("command line", () => {
  it("--help lists the commands, and each command has its own", async () => {
    const top = await run("--help");
    assert.equal(top.code, 0);
    for (const name of ["pools", "explain", "simulate"]) {
      assert.match(top.stdout, new RegExp(`^ {2}${name} `, "m"));
      const help = await run(name, "--help");
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`kubectl lbipam ${name}`));
    }
    assert.match((await run("explain", "-h")).stdout, /--kubeconfig PATH/);
  });

  const usageErrors: [string[], RegExp][] = [
    [["frobnicate"], /unknown command "frobnicate"/],
    [["pools", "--bogus"], /Unknown option '--bogus'/],
    [["pools", "extra"], /pools takes no arguments/],
    [["pools", "-o", "xml"], /output format "xml"/],
    [["explain"], /explain needs the name of a Service/],
    [["explain", "a", "b"], /explain takes one Service/],
    [["simulate"], /at least one -f FILE/],
    [["simulate", "-f", "x", "--add-services", "-1"], /--add-services/],
    [["simulate", "-f", "x", "--add-ip-families", "IPv5"], /--add-ip-families/],
    [["explain", "--namespace"], /--namespace/],
    [["explain", "a/b/c"], /"a\/b\/c" is not a Service: give NAME, svc\/NAME or NAMESPACE\/NAME/],
    [["explain", "svc/ns/name"], /is not a Service/],
  ];
  for (const [argv, message] of usageErrors) {
    it(`exit 2 for ${argv.join(" ")}`, async () => {
      const result = await run(...argv);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^error: /);
      assert.equal(result.stdout, "");
    });
  }

  it("simulate -o json prints the result; -o yaml too", async () => {
    const files = ["-f", fixturePath("pools.yaml"), "-f", fixturePath("services.yaml")];
    const json = await run("simulate", ...files, "-o", "json");
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.stdout);
    assert.deepEqual(parsed.services[0], {
      service: "shop/old-web",
      before: ["192.0.2.1"],
      addresses: ["192.0.2.1"],
      outcome: "allocated",
      reason: "Allocated",
      message: "assigned 192.0.2.1 from pool a-small",
    });
    const yaml = await run("simulate", ...files, "--output=yaml", "--delete-pool", "a-small");
    assert.equal(yaml.code, 0);
    assert.match(
      yaml.stdout,
      /^ {2}- service: shop\/old-web\n {4}before:\n {6}- 192\.0\.2\.1\n {4}addresses:\n {6}- 198\.51\.100\.1$/m,
    );
  });

  it("simulate warns on stderr, and in -o json's problems, of Services whose Namespace was not given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lbipam-simulate-"));
    try {
      const file = join(dir, "objects.yaml");
      writeFileSync(
        file,
        `kind: IPPool
metadata: {name: team}
spec: {cidr: 192.0.2.0/30, blockSize: 30, allowedUses: [LoadBalancer], namespaceSelector: "team == 'red'"}
---
kind: Namespace
metadata: {name: red, labels: {team: red}}
---
kind: Service
metadata: {name: a, namespace: red}
spec: {type: LoadBalancer}
---
kind: Service
metadata: {name: b, namespace: blue}
spec: {type: LoadBalancer}
`,
      );
      const warning =
        /^warning: no Namespace given for namespace blue, which has LoadBalancer Services: .*pool team/m;
      const json = await run("simulate", "-f", file, "-o", "json");
      assert.equal(json.code, 0);
      assert.match(json.stderr, warning);
      const parsed = JSON.parse(json.stdout) as { problems: string[] };
      assert.equal(parsed.problems.length, 1);
      assert.match(`warning: ${parsed.problems[0]}`, warning);
      const table = await run("simulate", "-f", file);
      assert.match(table.stderr, warning);
      assert.match(table.stdout, /^problem: no Namespace given for namespace blue/m);
      // With the only selecting pool deleted, the labels decide nothing.
      const deleted = await run("simulate", "-f", file, "--delete-pool", "team");
      assert.doesNotMatch(deleted.stderr, /Namespace given/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a file that cannot be read is an error with exit 1", async () => {
    const result = await run("simulate", "-f", "/nonexistent/pools.yaml");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: cannot read \/nonexistent\/pools\.yaml/);
  });

  it("a kubeconfig that does not exist is an error with exit 1", async () => {
    const result = await run("pools", "--kubeconfig", "/nonexistent/kubeconfig");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: cannot load the kubeconfig/);
  });
});

describe("warnings", () => {
  it("entries the controller skips and duplicate addresses are warnings on stderr", async () => {
    const { warnAboutState } = await import("../src/commands/command.js");
    let stderr = "";
    warnAboutState(
      {
        problems: ["IPReservation r: spec.reservedCIDRs: bad"],
        conflicts: [{ address: "192.0.2.1", keptBy: "ns/a", lostBy: "ns/b" }],
      },
      { stdout: () => {}, stderr: (t) => (stderr += t) },
    );
    assert.equal(
      stderr,
      "warning: IPReservation r: spec.reservedCIDRs: bad\nwarning: 192.0.2.1 is in the status of both ns/a and ns/b; the older, ns/a, keeps it\n",
    );
  });
});
