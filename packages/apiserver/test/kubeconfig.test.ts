import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startApiServer } from "../src/index.js";

test("--kubeconfig-out's file is mode 0600, also when it existed with a wider mode", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "lbipam-kubeconfig-"));
  const server = await startApiServer();
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const fresh = join(dir, "fresh.kubeconfig");
  server.writeKubeconfig(fresh);
  assert.equal(statSync(fresh).mode & 0o777, 0o600);

  const existing = join(dir, "existing.kubeconfig");
  writeFileSync(existing, "old\n");
  chmodSync(existing, 0o644);
  server.writeKubeconfig(existing);
  assert.equal(statSync(existing).mode & 0o777, 0o600);
  assert.match(readFileSync(existing, "utf8"), new RegExp(`token: ${server.token}`));
  assert.deepEqual(readdirSync(dir).sort(), ["existing.kubeconfig", "fresh.kubeconfig"]);
});
