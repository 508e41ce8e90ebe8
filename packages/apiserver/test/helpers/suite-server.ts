// One embedded API server for a suite of tests that drive it from outside (kubectl, the Python
// and Ruby clients): started before the suite with a kubeconfig in a folder of its own, where
// the clients also keep their caches, and stopped and removed after it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { type ApiServer, type ApiServerOptions, startApiServer } from "../../src/index.js";
import { ApiClient } from "./api-client.js";

export interface SuiteServer {
  server: ApiServer;
  /** A client for what the test sets up and checks itself. */
  api: ApiClient;
  /** The suite's folder. */
  dir: string;
  /** The kubeconfig for `server`, in `dir`. */
  kubeconfig: string;
}

/** Registers the suite's before and after hooks; the fields are set once `before` has run. */
export function suiteServer(folderPrefix: string, options: ApiServerOptions = {}): SuiteServer {
  const suite = {} as SuiteServer;
  before(async () => {
    suite.server = await startApiServer(options);
    suite.api = new ApiClient(suite.server);
    suite.dir = mkdtempSync(join(tmpdir(), folderPrefix));
    suite.kubeconfig = join(suite.dir, "kubeconfig");
    suite.server.writeKubeconfig(suite.kubeconfig);
  });
  after(async () => {
    suite.api?.close();
    await suite.server?.stop();
    if (suite.dir) rmSync(suite.dir, { recursive: true, force: true });
  });
  return suite;
}
