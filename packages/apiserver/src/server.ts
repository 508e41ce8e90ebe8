// startApiServer: wires the store, registry, router and TLS into a running HTTPS server.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { Socket } from "node:net";
import { type AddressInfo, isIP } from "node:net";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { AccessPolicy, type ApiServerUser, isValidToken } from "./access.js";
import { builtinTypes } from "./builtin/index.js";
import { reviewTypes } from "./builtin/reviews.js";
import { RequestCounters } from "./counters.js";
import { InvalidOptionError } from "./errors.js";
import { Faults } from "./faults.js";
import { createDefaultServiceAllocators } from "./kinds/index.js";
import { renderKubeconfig, writeKubeconfigFile } from "./kubeconfig.js";
import { crdWritten } from "./lifecycle/crds.js";
import { namespaceLifecycle } from "./lifecycle/namespaces.js";
import type { ServerState } from "./operations/context.js";
import type { WriteOptions } from "./operations/write-options.js";
import { create } from "./operations/writer.js";
import { Registry } from "./registry/registry.js";
import type { ResourceType } from "./registry/resource-type.js";
import { createRouter } from "./router.js";
import { Store } from "./storage/store.js";
import { generateServingCertificates } from "./tls.js";
import type { KubeObject } from "./types.js";
import { versionInfo } from "./version.js";

export interface ApiServerOptions {
  /** Address to bind; loopback unless told otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer token clients must send; random when absent. */
  token?: string;
  /** Reported by /version; kubectl's dispatcher picks kubectl.1.<minor> from it. */
  kubernetesVersion?: string;
  /** How many changes are kept for watch resumption and exact lists; older versions get 410. */
  changeWindow?: number;
  /** Interval between BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs?: number;
  /** CRD manifests (YAML, any number of documents per file) installed at start. */
  crdDirectory?: string;
  /** Users TokenReview and SubjectAccessReview know besides the server's own admin (access.ts). */
  users?: ApiServerUser[];
}

export interface ApiServer {
  url: string;
  caPem: string;
  token: string;
  kubeconfig(): string;
  writeKubeconfig(path: string): void;
  faults: Faults;
  counters: RequestCounters;
  stop(): Promise<void>;
}

const defaultNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];
const internalWrite: WriteOptions = { fieldValidation: "Ignore", dryRun: false };

function validateOptions(options: ApiServerOptions): void {
  const { port, changeWindow, bookmarkIntervalMs } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidOptionError("port", "must be an integer from 0 to 65535");
  }
  if (changeWindow !== undefined && (!Number.isInteger(changeWindow) || changeWindow < 1)) {
    throw new InvalidOptionError("changeWindow", "must be a positive integer");
  }
  if (bookmarkIntervalMs !== undefined && !(bookmarkIntervalMs > 0)) {
    throw new InvalidOptionError("bookmarkIntervalMs", "must be a positive number of milliseconds");
  }
  if (options.token !== undefined && !isValidToken(options.token)) {
    throw new InvalidOptionError("token", "must be non-empty printable ASCII without spaces");
  }
}

function readManifests(directory: string): KubeObject[] {
  const files = readdirSync(directory)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(directory, file), "utf8"))
      .map((doc) => doc.toJS() as unknown)
      .filter((o): o is KubeObject => typeof o === "object" && o !== null),
  );
}

const wildcardHosts = new Set(["0.0.0.0", "::"]);
const loopbackNames = ["localhost"];
const loopbackAddresses = ["127.0.0.1", "::1"];

/** The serving certificate's names: loopback always, plus a specific address to bind to. */
function servingNames(host: string): [string[], string[]] {
  if (wildcardHosts.has(host) || loopbackNames.includes(host) || loopbackAddresses.includes(host)) {
    return [loopbackNames, loopbackAddresses];
  }
  return isIP(host)
    ? [loopbackNames, [...loopbackAddresses, host]]
    : [[...loopbackNames, host], loopbackAddresses];
}

function find(registry: Registry, group: string, resource: string): ResourceType {
  const type = registry.all().find((t) => t.group === group && t.resource === resource);
  if (!type) throw new Error(`built-in resource ${resource} missing`);
  return type;
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  validateOptions(options);
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? randomBytes(24).toString("base64url");
  const version = versionInfo(options.kubernetesVersion ?? "1.32.4");
  const certificates = await generateServingCertificates(...servingNames(host));
  const registry = new Registry();
  for (const type of builtinTypes(createDefaultServiceAllocators())) registry.add(type);
  for (const type of reviewTypes(new AccessPolicy(token, options.users ?? []))) registry.add(type);
  const faults = new Faults();
  const counters = new RequestCounters();
  const namespaces = find(registry, "", "namespaces");
  const crds = find(registry, "apiextensions.k8s.io", "customresourcedefinitions");
  const state: ServerState = {
    store: new Store({ changeWindow: options.changeWindow ?? 10_000 }),
    registry,
    faults,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    afterWrite: (type, object, deleted) => {
      if (type === crds) crdWritten(state, type, object, deleted);
      else if (type === namespaces && !deleted) lifecycle.namespaceWritten(object);
      else if (deleted) lifecycle.objectRemoved(type, object);
    },
  };
  const lifecycle = namespaceLifecycle(state, namespaces);

  for (const name of defaultNamespaces) {
    create(state, namespaces, "", { metadata: { name } }, internalWrite);
  }
  if (options.crdDirectory) {
    for (const manifest of readManifests(options.crdDirectory))
      create(state, crds, "", manifest, internalWrite);
  }

  let address = "";
  const server = createServer(
    { cert: certificates.certPem, key: certificates.keyPem, keepAlive: true },
    createRouter({ state, counters, token, version, serverAddress: () => address }),
  );
  // Every socket, so stop() can end those the HTTP layer does not track
  // (a TLS connection that never sent a request keeps close() waiting).
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  // Clients of a server bound to every address reach it over loopback.
  const reachable = wildcardHosts.has(bound.address)
    ? bound.family === "IPv6"
      ? "::1"
      : "127.0.0.1"
    : bound.address;
  const hostPart = bound.family === "IPv6" ? `[${reachable}]` : reachable;
  address = `${hostPart}:${bound.port}`;
  const url = `https://${address}`;
  const kubeconfig = () => renderKubeconfig({ url, caPem: certificates.caPem, token });

  return {
    url,
    caPem: certificates.caPem,
    token,
    kubeconfig,
    writeKubeconfig: (path) => writeKubeconfigFile(path, kubeconfig()),
    faults,
    counters,
    stop: async () => {
      faults.closeWatches();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
