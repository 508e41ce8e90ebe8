// Every command in the docs runs here, against the embedded API server, so the docs cannot rot.
//
// Pages: README.md, deploy/README.md and every Markdown file under docs/. What their code means:
// - ```sh (or bash, shell): each line is a command (`\` continues it, a heredoc stays with its
//   command, `# ...` is a comment). It must exit 0, unless its comment starts with `exit N`
//   (`# exit 1: why`); `a && b` is two commands.
// - ```console: `$ ` starts a command; the lines up to the next `$ ` are what it prints. Each
//   non-blank one must appear in its output (stdout, then stderr); runs of spaces compare as one
//   and `...` stands for anything. `# exit N` works as in sh blocks.
// - ```yaml FILE (or json FILE): written to FILE in the working directory before the page's
//   commands run, for the commands that read it (`-f FILE`).
// - ```text: an illustration, never run. Any other fence, untagged ones included, must not hold
//   a line that looks like a command (a command word, or `$ `): this test fails if one does.
// - An inline code span that starts with a command word and an argument is a command too.
//
// Each page gets a world: a fresh embedded API server with the CRDs of deploy/crds, the objects
// of FIXTURE (the shop/my-service and pools the pages talk about), pools.yaml and services.yaml
// in its working directory, and a controller (leader election in lbipam-system, as deployed),
// except on pages that start their own. Commands run asynchronously with bash in the working
// directory (which links apps/, deploy/, examples/ and node_modules/ of the repository), HOME
// there, KUBECONFIG and ~/.kube/config naming the world's server, and the repository's
// node_modules/.bin (lbipam, kubectl-lbipam) first on PATH, next to the real kubectl.
//
// The tables below say what the pages do not: SKIPPED (cannot run here, with why: each becomes a
// skipped test printing it), FRAGMENTS (spans that name a command without being one),
// RUN_INSTEAD (placeholders filled in, a fixed port freed) and CHECKS (what the output must
// show, from what the page says of it, and commands that keep running). An entry that no page
// uses fails the test, so the tables cannot rot either.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Controller } from "../src/controller/controller.js";
import { CALICO_SHAPES, type CalicoShape, calicoBlock } from "./helpers/calico-crds.js";
import {
  createPool,
  createService,
  ingressOf,
  mergePatch,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";

const repository = fileURLToPath(new URL("../../../../", import.meta.url));

// ---------------------------------------------------------------------------------------------
// Reading the pages

const RUN_LANGUAGES = new Set(["sh", "bash", "shell"]);
const FILE_LANGUAGES = new Set(["yaml", "yml", "json"]);
const COMMAND_WORD =
  /^(?:\$ )?(?:kubectl|kubectl-lbipam|lbipam|npx|npm|node|kustomize|helm|docker|curl|git)\s+\S/;

interface DocCommand {
  page: string;
  /** 1-based line of the page where the command starts. */
  line: number;
  /** The command as the page writes it, comment removed, whitespace runs as one space: the key of the tables. */
  text: string;
  /** What bash runs: the page's text (heredoc bodies included), comment removed. */
  script: string;
  comment: string;
  exit: number;
  /** Lines a console block shows after the command. */
  output: string[];
  /** The world it runs in: its section's (SECTION_WORLDS), else the page's. */
  world: string;
}

interface DocFile {
  name: string;
  content: string;
  line: number;
}

interface Page {
  commands: DocCommand[];
  files: DocFile[];
  /** Fences of another language that hold a line looking like a command. */
  strayCommands: { line: number; lang: string; text: string }[];
}

/** Marks each character that lies outside single and double quotes. */
function outsideQuotes(s: string): boolean[] {
  const outside: boolean[] = [];
  let quote = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    outside.push(quote === "" && c !== "'" && c !== '"');
    if (quote === "" && c === "\\") {
      outside.push(false);
      i++;
    } else if (quote === '"' && c === "\\") {
      outside.push(false);
      i++;
    } else if (quote === "" && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = "";
  }
  return outside;
}

/** Splits a shell line into the command and its trailing comment. */
function splitComment(line: string): [string, string] {
  const outside = outsideQuotes(line);
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "#" && outside[i] && (i === 0 || /\s/.test(line[i - 1]!))) {
      return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()];
    }
  }
  return [line.trimEnd(), ""];
}

/** `a && b` as [a, b]; a `&&` inside quotes is left alone. */
function splitAnd(command: string): string[] {
  const outside = outsideQuotes(command);
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i + 1 < command.length; i++) {
    if (command[i] === "&" && command[i + 1] === "&" && outside[i] && outside[i + 1]) {
      parts.push(command.slice(from, i).trim());
      from = i + 2;
    }
  }
  parts.push(command.slice(from).trim());
  return parts.filter((part) => part !== "");
}

const normalise = (s: string) => s.replace(/\s+/g, " ").trim();

function makeCommands(page: string, line: number, written: string, output: string[] = []): DocCommand[] {
  const [first = "", ...rest] = written.split("\n");
  const [command, comment] = splitComment(first);
  const exit = Number(/^exit (\d+)\b/.exec(comment)?.[1] ?? 0);
  const heredoc = rest.length > 0 && /<<-?\s*['"]?[A-Za-z_]+/.test(command);
  const parts = heredoc ? [command] : splitAnd(command);
  return parts.map((part, i) => {
    const last = i === parts.length - 1;
    return {
      page,
      line,
      text: normalise(part),
      script: heredoc ? [part, ...rest].join("\n") : part,
      comment: last ? comment : "",
      exit: last ? exit : 0,
      output: last ? output : [],
      world: PAGE_WORLD,
    };
  });
}

/** The logical lines of a shell block: continuations joined, heredoc bodies kept with their command. */
function shellLines(body: string[], firstLine: number): { line: number; text: string }[] {
  const commands: { line: number; text: string }[] = [];
  for (let i = 0; i < body.length; ) {
    const line = firstLine + i;
    let text = body[i++]!;
    if (text.trim() === "" || text.trim().startsWith("#")) continue;
    while (text.endsWith("\\") && i < body.length) text = `${text.slice(0, -1)} ${body[i++]!.trim()}`;
    const heredoc = /<<(-?)\s*(['"]?)([A-Za-z_]+)\2/.exec(splitComment(text)[0]);
    if (heredoc) {
      const lines = [text];
      while (i < body.length) {
        const next = body[i++]!;
        lines.push(next);
        if ((heredoc[1] ? next.trim() : next) === heredoc[3]) break;
      }
      text = lines.join("\n");
    }
    commands.push({ line, text: text.trim() });
  }
  return commands;
}

/** Reads a page's fences and inline code spans, in the page's order. */
function readPage(page: string, markdown: string): Page {
  const lines = markdown.split("\n");
  const result: Page = { commands: [], files: [], strayCommands: [] };
  const items: { line: number; add: () => void }[] = [];
  const prose: string[] = [];
  let open: { marker: string; info: string; line: number; body: string[] } | undefined;
  const closeFence = (fence: NonNullable<typeof open>) => {
    const [lang = "", file] = fence.info.split(/\s+/);
    const language = lang.toLowerCase();
    const first = fence.line + 1;
    items.push({
      line: fence.line,
      add: () => {
        if (RUN_LANGUAGES.has(language)) {
          for (const { line, text } of shellLines(fence.body, first)) {
            result.commands.push(...makeCommands(page, line, text));
          }
        } else if (language === "console") {
          consoleCommands(page, fence.body, first).forEach((c) => {
            result.commands.push(...c);
          });
        } else if (FILE_LANGUAGES.has(language) && file) {
          result.files.push({ name: file, content: `${fence.body.join("\n")}\n`, line: fence.line });
        } else if (language !== "text") {
          fence.body.forEach((text, i) => {
            if (COMMAND_WORD.test(text.trim()) || text.trim().startsWith("$ ")) {
              result.strayCommands.push({
                line: first + i,
                lang: language || "(untagged)",
                text: text.trim(),
              });
            }
          });
        }
      },
    });
  };
  lines.forEach((line, i) => {
    if (open) {
      const close = new RegExp(`^\\s*${open.marker[0]}{${open.marker.length},}\\s*$`);
      if (close.test(line)) {
        closeFence(open);
        open = undefined;
      } else open.body.push(line);
      prose.push("");
      return;
    }
    const fence = /^\s*(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (fence) {
      open = { marker: fence[1]!, info: fence[2]!.trim(), line: i + 1, body: [] };
      prose.push("");
      return;
    }
    prose.push(line);
  });
  if (open) throw new Error(`${page}:${open.line}: a fence that is never closed`);
  const text = prose.join("\n");
  for (const match of text.matchAll(/(?<!`)(`+)(?!`)([\s\S]+?)(?<!`)\1(?!`)/g)) {
    const span = normalise(match[2]!);
    if (!COMMAND_WORD.test(span)) continue;
    const line = text.slice(0, match.index).split("\n").length;
    items.push({ line, add: () => result.commands.push(...makeCommands(page, line, span)) });
  }
  items
    .sort((a, b) => a.line - b.line)
    .forEach((item) => {
      item.add();
    });
  const headings = prose.flatMap((line, i) => (/^#{1,6} /.test(line) ? [{ line: i + 1, title: line }] : []));
  for (const command of result.commands) {
    const heading = headings.filter((h) => h.line < command.line).at(-1);
    const world = heading && SECTION_WORLDS[`${page} ${heading.title}`];
    if (world) command.world = world.what;
  }
  return result;
}

function consoleCommands(page: string, body: string[], firstLine: number): DocCommand[][] {
  const commands: DocCommand[][] = [];
  let current: { line: number; text: string; output: string[] } | undefined;
  const flush = () => {
    if (current) commands.push(makeCommands(page, current.line, current.text, current.output));
  };
  body.forEach((line, i) => {
    if (line.startsWith("$ ")) {
      flush();
      current = { line: firstLine + i, text: line.slice(2), output: [] };
    } else if (current && current.output.length === 0 && current.text.endsWith("\\")) {
      current.text = `${current.text.slice(0, -1)} ${line.trim()}`;
    } else if (current && line.trim() !== "") current.output.push(line.trim());
  });
  flush();
  return commands;
}

function listPages(): string[] {
  const docs = (readdirSync(join(repository, "docs"), { recursive: true }) as string[])
    .filter((file) => file.endsWith(".md"))
    .sort()
    .map((file) => `docs/${file}`);
  return ["README.md", "deploy/README.md", ...docs];
}

// ---------------------------------------------------------------------------------------------
// The world every page assumes

/** Pools and a reservation: the pools.yaml that `kubectl lbipam simulate -f pools.yaml` reads. */
const POOLS = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: old-pool
spec:
  cidr: 192.0.2.0/30
  blockSize: 30
  allowedUses: [LoadBalancer]
  namespaceSelector: team == 'shop'
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: replacement
spec:
  cidr: 198.51.100.0/29
  blockSize: 29
  allowedUses: [LoadBalancer]
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: closed
spec:
  cidr: 203.0.113.0/29
  blockSize: 29
  allowedUses: [LoadBalancer]
  disabled: true
---
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata:
  name: keep-free
spec:
  reservedCIDRs: ["198.51.100.7"]
`;

/**
 * The cluster the pages talk about: shop/my-service gets 192.0.2.0 from old-pool; default/waiting
 * asks for the disabled pool and waits (PoolDisabled); shop/internal is no LoadBalancer.
 */
const FIXTURE = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: shop
---
apiVersion: v1
kind: Namespace
metadata:
  name: lbipam-system
---
${POOLS}---
apiVersion: v1
kind: Service
metadata:
  name: my-service
  namespace: shop
spec:
  type: LoadBalancer
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: Service
metadata:
  name: waiting
  namespace: default
  annotations:
    projectcalico.org/ipv4pools: '["closed"]'
spec:
  type: LoadBalancer
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: Service
metadata:
  name: internal
  namespace: shop
spec:
  ports: [{ port: 80 }]
`;

/** Pages that start their own controller; every other page's world runs one. */
const OWN_CONTROLLER = new Set(["README.md"]);

/** The world of a page's commands, unless their section has one of its own. */
const PAGE_WORLD = "lbipam's own CRDs";

/**
 * Sections ("page heading") whose commands run in a Calico cluster of that
 * shape (helpers/calico-crds.ts) instead of the page's world, furnished as
 * Calico's own LoadBalancer controller left it (CALICO_SERVICES), with no
 * controller of lbipam's: the section starts it.
 */
const SECTION_WORLDS: Record<string, CalicoShape> = Object.fromEntries(
  CALICO_SHAPES.map((shape) => [`docs/migrating.md ### ${shape.what}`, shape]),
);

interface World {
  page: string;
  /** PAGE_WORLD, or the Calico shape's `what`. */
  kind: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  cluster: TestCluster;
  controller: Controller | undefined;
  /** A free port, for commands that name a fixed one. */
  port: number;
  /** Commands still running, stopped by the page's last test. */
  running: { command: DocCommand; script: string; process: Started }[];
  /** Every process group started in this world and not ended yet: endWorld ends them. */
  children: Set<ChildProcess>;
}

/** Where a command runs: a world, or the same directory with another environment. */
type Place = Pick<World, "dir" | "env"> & { children?: Set<ChildProcess> };

/** Every process group started and not ended yet, ended should this process exit first. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  done: Promise<Result>;
  /** stdout and stderr so far. */
  output(): string;
}

/** Runs a script with bash in its own process group (so a timeout ends all of it); never blocks. */
function start(world: Place, script: string, options: { exec?: boolean } = {}): Started {
  // exec: bash becomes the command, so a signal reaches it and its exit code is the command's.
  const child = spawn("bash", ["-c", options.exec ? `exec ${script}` : script], {
    cwd: world.dir,
    env: world.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  world.children?.add(child);
  child.on("close", () => {
    live.delete(child);
    world.children?.delete(child);
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => `${stdout}${stderr}` };
}

async function finish(started: Started, script: string, timeoutMs: number): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup(started.child, "SIGKILL");
      reject(new Error(`${script}: still running after ${timeoutMs / 1000} s; output:\n${started.output()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([started.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 0);
    return child.pid !== undefined;
  } catch {
    return false;
  }
}

/**
 * Stops a command that keeps running as Ctrl-C in a terminal does (SIGINT to its process group),
 * and checks that it stopped cleanly: its exit code, every process of the group gone, and what
 * its output shows then. npm (npx) ends by the signal it received once the command has exited.
 */
async function stopCommand(command: DocCommand, script: string, started: Started): Promise<void> {
  killGroup(started.child, "SIGINT");
  const result = await finish(started, script, 30_000);
  const output = started.output();
  const byNpm = script.startsWith("npx ") && result.signal === "SIGINT";
  assert.ok(
    result.code === command.exit || byNpm,
    `${script}: exit ${result.code} (${result.signal}) after SIGINT:\n${output}`,
  );
  await until(`every process of ${script} to end`, () => !groupAlive(started.child));
  const stopped = checkOf(command).background?.stopped;
  if (stopped) assert.match(output, stopped, `${script} stopped cleanly`);
}

const run = (world: Place, script: string, timeoutMs = 60_000) =>
  finish(start(world, script), script, timeoutMs);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** PATH as the README says: the repository's node_modules/.bin first; no other kubectl-lbipam. */
function searchPath(): string {
  const bin = join(repository, "node_modules", ".bin");
  const rest = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => entry && entry !== bin && !existsSync(join(entry, "kubectl-lbipam")));
  return [bin, ...rest].join(delimiter);
}

/** A fresh API server, a working directory and the environment commands run in. */
async function makeWorld(page: string, kind: string): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "lbipam-docs-"));
  for (const link of ["apps", "deploy", "examples", "node_modules"]) {
    symlinkSync(join(repository, link), join(dir, link));
  }
  const calico = CALICO_SHAPES.find((shape) => shape.what === kind);
  const cluster = await startCluster(calico?.crds());
  await calico?.setUp(cluster);
  const kubeconfig = join(dir, ".kube", "config");
  mkdirSync(dirname(kubeconfig));
  cluster.server.writeKubeconfig(kubeconfig);
  const env: NodeJS.ProcessEnv = {};
  // Nothing of an enclosing `npm test` (npm_* settings) or of the developer's cluster.
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_") && key !== "KUBECONFIG") env[key] = value;
  }
  Object.assign(env, {
    HOME: dir,
    KUBECONFIG: kubeconfig,
    PATH: searchPath(),
    // npx finds lbipam in node_modules/.bin; offline, it can never fetch a package instead.
    npm_config_offline: "true",
    npm_config_update_notifier: "false",
    NO_COLOR: "1",
  });
  return {
    page,
    kind,
    dir,
    env,
    cluster,
    controller: undefined,
    port: await freePort(),
    running: [],
    children: new Set(),
  };
}

/** The fixture applied, a controller where the page starts none, and the files the page assumes. */
async function furnish(world: World, files: DocFile[]): Promise<void> {
  const calico = CALICO_SHAPES.find((shape) => shape.what === world.kind);
  if (calico) {
    await furnishCalico(world, calico);
    for (const file of files) writeFileSync(join(world.dir, file.name), file.content);
    return;
  }
  const { dir, page, cluster } = world;
  writeFileSync(join(dir, "fixture.yaml"), FIXTURE);
  writeFileSync(join(dir, "pools.yaml"), POOLS);
  const applied = await run(world, "kubectl apply -f fixture.yaml");
  assert.equal(applied.code, 0, `applying the fixture: ${applied.stderr}`);
  if (!OWN_CONTROLLER.has(page)) {
    world.controller = startController(cluster, {
      leaderElection: { namespace: "lbipam-system", leaseName: "lbipam-controller", retryPeriodMs: 200 },
    });
    await world.controller.start();
    await settled(world);
  }
  const services = await run(world, "kubectl get services,namespaces -A -o yaml > services.yaml");
  assert.equal(services.code, 0, services.stderr);
  for (const file of files) writeFileSync(join(dir, file.name), file.content);
}

/**
 * A Calico cluster as Calico's own LoadBalancer controller left it: a
 * Workload pool and a LoadBalancer pool, shop/web and shop/api showing the
 * addresses it gave them, and its IPAM block recording those and 10.80.0.0
 * for shop/gone, a Service deleted since.
 */
async function furnishCalico(world: World, shape: CalicoShape): Promise<void> {
  const { cluster } = world;
  for (const name of ["shop", "lbipam-system"])
    await cluster.core.createNamespace({ body: { metadata: { name } } });
  await createPool(
    cluster,
    "pods",
    { cidr: "10.244.0.0/16", allowedUses: ["Workload", "Tunnel"] },
    shape.pools,
  );
  await createPool(cluster, "lb", { cidr: "10.80.0.0/29", blockSize: 29 }, shape.pools);
  const recorded = [
    { ordinal: 0, namespace: "shop", service: "gone", uid: "5f0c6b1e-0d2a-4c3b-9e7f-1a2b3c4d5e6f" },
  ];
  for (const [ordinal, name] of [
    [1, "web"],
    [2, "api"],
  ] as const) {
    await createService(cluster, "shop", name);
    const ip = `10.80.0.${ordinal}`;
    const shown = await cluster.core.patchNamespacedServiceStatus(
      { namespace: "shop", name, body: { status: { loadBalancer: { ingress: [{ ip }] } } } },
      mergePatch,
    );
    recorded.push({ ordinal, namespace: "shop", service: name, uid: shown.metadata?.uid ?? "" });
  }
  await cluster.custom.createClusterCustomObject({
    ...shape.blocks,
    plural: "ipamblocks",
    body: calicoBlock(shape.blocks, "10.80.0.0/29", recorded, 8),
  });
}

/** Waits until a controller has served the fixture: an address, a wait, a pool status. */
async function settled(world: World): Promise<void> {
  await waitFor(
    () => ingressOf(world.cluster, "shop", "my-service"),
    (ips) => ips[0] === "192.0.2.0",
    "my-service",
  );
  await waitFor(
    () => world.cluster.core.readNamespacedServiceStatus({ namespace: "default", name: "waiting" }),
    (s) => s.status?.conditions?.[0]?.reason === "PoolDisabled",
    "waiting to show PoolDisabled",
  );
  await waitFor(
    () =>
      world.cluster.custom.getClusterCustomObject({
        group: "projectcalico.org",
        version: "v3",
        plural: "ippools",
        name: "old-pool",
      }) as Promise<{ status?: { addresses?: { allocated?: number } } }>,
    (pool) => pool.status?.addresses?.allocated === 1,
    "old-pool's status",
  );
}

async function endWorld(world: World | undefined): Promise<void> {
  if (!world) return;
  for (const child of world.children) killGroup(child, "SIGKILL");
  await until("the page's commands to end", () => world.children.size === 0);
  await world.controller?.stop();
  await world.cluster.stop();
  rmSync(world.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// What the pages do not say

/** Commands that cannot run here, and why. */
const SKIPPED: Record<string, string> = {
  "npm ci": "installs every dependency from the registry; this test runs on the installed tree",
  "npm test": "runs lint and every package's tests, this file among them",
  "npm run bench":
    "runs every benchmark suite for many minutes and rewrites bench/results/ (docs/benchmarks.md reports them)",
  "npm run bench -- allocator": "a benchmark suite: minutes, and it rewrites bench/results/allocator.json",
  "npm run bench -- plugin": "a benchmark suite: it rewrites bench/results/plugin.json",
  "npm run bench -- start":
    "a benchmark suite: it clones the repository, runs npm ci and rewrites bench/results/start.json",
  "npm run bench -- scale":
    "100,000 Services: about ten minutes, and it rewrites bench/results/scale.json (deploy-manifests.test.ts checks the sizing taken from it)",
  "kubectl -n kube-system set env deployment/calico-kube-controllers ENABLED_CONTROLLERS=node,policy,namespace,serviceaccount,workloadendpoint":
    "real cluster only: there is no Calico kube-controllers here (controller-calico-shapes.test.ts stands in for it)",
  "kubectl apply -k deploy/":
    "real cluster only: the embedded API server serves no Deployments, RBAC, PodDisruptionBudgets, NetworkPolicies, ConfigMaps or Prometheus Operator kinds (deploy-manifests.test.ts renders the kustomization and applies what it serves)",
  "kubectl -n lbipam-system get pods": "real cluster only: the embedded API server serves no Pods",
  "kubectl -n lbipam-system get lease,pods": "real cluster only: the embedded API server serves no Pods",
  "kustomize edit set image lbipam/controller=REGISTRY/lbipam:TAG":
    "names the reader's registry and edits deploy/kustomization.yaml in place; no kustomize binary here",
};

/** Inline spans that name a command without being one. */
const FRAGMENTS: Record<string, string> = {
  "kubectl patch ... AssignIPs ...": "elided; the whole patch runs in the console block of the same section",
  "kubectl patch kubecontrollersconfiguration default ...":
    "elided; the whole patch runs in the console block of docs/behaviour.md",
  "kubectl kustomize": "names the tool deploy-manifests.test.ts runs",
  "kubectl apply": "names the tool deploy-manifests.test.ts runs",
  "kubectl lbipam": "names the plugin",
};

interface Instead {
  run: (world: World) => string;
  why: string;
}

/** Commands run in another form: placeholders filled in with the fixture's names, a fixed port freed. */
const RUN_INSTEAD: Record<string, Instead> = {
  "npm start": {
    run: () => {
      const script: string = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")).scripts.start;
      assert.equal(script, "node scripts/start.mjs", "npm start runs scripts/start.mjs");
      const start = readFileSync(join(repository, "scripts", "start.mjs"), "utf8");
      assert.match(
        start,
        /main\(\["start", \.\.\.process\.argv\.slice\(2\)\]\)/,
        "which ends in lbipam start",
      );
      return "node apps/controller/bin/lbipam.js start";
    },
    why: "lbipam start without the esbuild transpile of scripts/start.mjs: rewriting dist/ would race the other workspaces' tests, which run from the tree npm test built",
  },
  "npx lbipam controller --kubeconfig ~/.kube/config --metrics-listen 127.0.0.1:9464": {
    run: (world) =>
      `npx lbipam controller --kubeconfig ~/.kube/config --metrics-listen 127.0.0.1:${world.port}`,
    why: "a free port instead of 9464, which may be taken on this machine",
  },
  "kubectl describe service NAME -n NS": {
    run: () => "kubectl describe service waiting -n default",
    why: "NAME -n NS: the fixture's default/waiting",
  },
  "kubectl get service NAME -n NS -o yaml": {
    run: () => "kubectl get service waiting -n default -o yaml",
    why: "NAME -n NS: the fixture's default/waiting",
  },
  "kubectl lbipam simulate -f pools.yaml -f services.yaml --delete-pool NAME": {
    run: () => "kubectl lbipam simulate -f pools.yaml -f services.yaml --delete-pool old-pool",
    why: "NAME: the fixture's old-pool",
  },
  "kubectl lbipam explain NAME -n NS": {
    run: () => "kubectl lbipam explain my-service -n shop",
    why: "NAME -n NS: the fixture's shop/my-service",
  },
  "kubectl apply -k lbipam-calico": {
    run: (world) =>
      `npx lbipam controller --kubeconfig ~/.kube/config --metrics-listen 127.0.0.1:${world.port}`,
    why: "the controller the overlay deploys, run here (the embedded API server serves no Deployments or RBAC; deploy-manifests.test.ts renders the overlay and compares it with deploy/)",
  },
};

interface Check {
  /** What the output (stdout and stderr) must show, from what the page says of the command. */
  shows?: RegExp[];
  /** What it must not show. */
  hides?: RegExp[];
  /** The command keeps running (a server): started, awaited until ready, then `after`. */
  background?: {
    ready: (world: World, started: Started) => Promise<void>;
    /** Left running for the rest of the page (stopped by its last test), else stopped after `after`. */
    keep?: boolean;
    /** What its output shows once it has stopped cleanly. */
    stopped?: RegExp;
  };
  /** More checks of what the command did. */
  after?: (world: World, started: Started) => Promise<void>;
}

const CRDS_APPLIED = [
  /ippools\.projectcalico\.org (created|configured|unchanged)/,
  /ipreservations\.projectcalico\.org (created|configured|unchanged)/,
  /kubecontrollersconfigurations\.projectcalico\.org (created|configured|unchanged)/,
];
const POOLS_SHOWN = [
  /old-pool\s+IPv4\s+192\.0\.2\.0\/30\s+Automatic\s+false\s+True\s+1\s+4\s+0\s+3\b/,
  /replacement\s+IPv4\s+198\.51\.100\.0\/29\s+Automatic\s+false\s+True\s+0\s+8\s+1\s+7\b/,
  /closed\s+IPv4\s+203\.0\.113\.0\/29\s.*False \(PoolDisabled\)/,
];
const EXPLAINED = [
  /Service:\s+shop\/my-service/,
  /Addresses:\s+192\.0\.2\.0/,
  /^Request:/m,
  /^Pools:/m,
  /old-pool\s.*\bused\b/,
  /^Decision:\s*\n\s*IPv4: keep 192\.0\.2\.0/m,
];
const MOVED = [/shop\/my-service\s+198\.51\.100\.0\s/, /default\/waiting\s.*pending\s+PoolDisabled/];

/** Lines `lbipam start` prints under "Try, in another terminal:". */
function printedCommands(output: string): string[] {
  const lines = output.split("\n");
  const from = lines.findIndex((line) => line.startsWith("Try, in another terminal:"));
  const to = lines.findIndex((line) => line.startsWith("Press Ctrl-C"));
  assert.ok(from >= 0 && to > from, `commands to try printed:\n${output}`);
  return lines.slice(from + 1, to).map((line) => line.trim());
}

async function until(what: string, done: () => boolean | Promise<boolean>, started?: Started): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!(await done())) {
    const ended = started && started.child.exitCode !== null;
    if (ended || Date.now() > deadline) {
      assert.fail(
        `${ended ? "exited" : "timed out"} waiting for ${what}; output:\n${started?.output() ?? ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits for /readyz of a controller started with --metrics-listen on the world's port; its URL. */
async function untilReady(world: World, started: Started): Promise<string> {
  const url = `http://127.0.0.1:${world.port}`;
  await until(
    "/readyz",
    async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
    started,
  );
  return url;
}

/** What a command in a section world (SECTION_WORLDS) must show: the page's CHECKS are of the page's world. */
const SECTION_CHECKS: Record<string, Check> = {
  "kubectl apply -k lbipam-calico": {
    background: {
      async ready(world, started) {
        await untilReady(world, started);
        // Served: the Service Calico's controller gave 10.80.0.1 now carries lbipam's condition too.
        await until(
          "shop/web's condition",
          async () =>
            (
              await world.cluster.core.readNamespacedServiceStatus({ namespace: "shop", name: "web" })
            ).status?.conditions?.some((c) => c.type === "projectcalico.org/LoadBalancerIPAllocated") ??
            false,
          started,
        );
      },
      keep: true,
    },
  },
};

/** The checks of a command, by the world it runs in. */
function checkOf(command: DocCommand): Check {
  return (command.world === PAGE_WORLD ? CHECKS : SECTION_CHECKS)[command.text] ?? {};
}

const CHECKS: Record<string, Check> = {
  "npm start": {
    background: {
      ready: (_, started) =>
        until("Press Ctrl-C", () => started.output().includes("Press Ctrl-C to stop."), started),
      // Ctrl-C says so, and the kubeconfig of the closed port is gone.
      stopped: /^lbipam stopped; removed \S+lbipam\.kubeconfig$/m,
    },
    // README: it prints its kubeconfig and commands to try, then every address assigned.
    async after(world, started) {
      assert.match(started.output(), /applied IPPool loadbalancer-ip-pool/);
      const printed = printedCommands(started.output());
      const kubeconfig = /^export KUBECONFIG=(\S+)$/.exec(printed[0] ?? "")?.[1];
      assert.ok(kubeconfig && existsSync(kubeconfig), `a kubeconfig printed: ${printed[0]}`);
      assert.ok(kubeconfig.startsWith(world.dir), "written in the working directory");
      // The plugin's directory, as printed, and no other kubectl-lbipam: `kubectl lbipam` must work from it.
      const bin = /^export PATH=(\S+):\$PATH$/.exec(printed[1] ?? "")?.[1];
      assert.ok(
        bin && existsSync(join(bin, "kubectl-lbipam")),
        `the plugin's directory printed: ${printed[1]}`,
      );
      const others = (world.env.PATH ?? "")
        .split(delimiter)
        .filter((entry) => !existsSync(join(entry, "kubectl-lbipam")));
      const own = {
        dir: world.dir,
        env: { ...world.env, KUBECONFIG: kubeconfig, PATH: [bin, ...others].join(delimiter) },
      };
      const tried = printed.slice(2);
      for (const what of [
        /get ippools/,
        /get services/,
        /annotate service/,
        /RequestedServicesOnly/,
        /^kubectl lbipam pools$/,
        /^kubectl lbipam explain service-loadbalancer$/,
      ]) {
        assert.ok(
          tried.some((line) => what.test(line)),
          `${what} among the commands printed`,
        );
      }
      for (const line of tried) {
        const result = await run(own, line);
        assert.equal(result.code, 0, `${line}: ${result.stderr}`);
      }
      await until(
        "the annotated address printed",
        () => started.output().includes("service default/service-loadbalancer: 192.210.1.10"),
        started,
      );
      assert.match(started.output(), /service default\/service-loadbalancer: 192\.210\.0\.0/);
    },
  },
  "kubectl apply -f deploy/crds/": { shows: CRDS_APPLIED },
  "npx lbipam controller --kubeconfig ~/.kube/config --metrics-listen 127.0.0.1:9464": {
    background: {
      async ready(world, started) {
        const url = await untilReady(world, started);
        // A warm standby is ready too, so leadership is its own wait.
        await until(
          "lbipam_leader 1",
          async () => /^lbipam_leader 1$/m.test(await (await fetch(`${url}/metrics`)).text()),
          started,
        );
        await until(
          "shop/my-service's address",
          async () => (await ingressOf(world.cluster, "shop", "my-service"))[0] === "192.0.2.0",
          started,
        );
      },
      keep: true,
      stopped: /released the lease/,
    },
  },
  "npx lbipam controller --help": {
    // README: "lists the flags (load balancer class, API request rate, workers, allocator threads, leader election)"
    shows: [
      /--load-balancer-class/,
      /--kube-api-qps/,
      /--workers/,
      /--allocator-threads/,
      /--leader-elect\b/,
    ],
  },
  "npx lbipam apiserver": {
    background: {
      ready: (_, started) => until("the server", () => /apiserver ready at/.test(started.output()), started),
      stopped: /apiserver stopped/,
    },
    // README: the embedded API server alone, with lbipam's CRDs.
    async after(world) {
      const result = await run(world, "kubectl --kubeconfig lbipam.kubeconfig get crd");
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /ippools\.projectcalico\.org/);
    },
  },
  "kubectl get ippools": { shows: [/old-pool\s+192\.0\.2\.0\/30/] },
  "kubectl get services": { shows: [/waiting\s+LoadBalancer/] },
  "kubectl lbipam pools": { shows: POOLS_SHOWN },
  "kubectl lbipam explain my-service -n shop": { shows: EXPLAINED },
  "kubectl lbipam explain NAME -n NS": { shows: EXPLAINED },
  "kubectl lbipam simulate -f pools.yaml -f services.yaml --delete-pool old-pool": { shows: MOVED },
  "kubectl lbipam simulate -f pools.yaml -f services.yaml --delete-pool NAME": { shows: MOVED },
  // docs/migrating.md: "shows every Service keeping its address".
  "kubectl lbipam simulate -f pools.yaml -f services.yaml": {
    shows: [/shop\/my-service\s+192\.0\.2\.0\s+192\.0\.2\.0\s+allocated/],
  },
  "kubectl get services,namespaces -A -o yaml > services.yaml": {
    async after(world) {
      const written = readFileSync(join(world.dir, "services.yaml"), "utf8");
      assert.match(written, /name: my-service/);
      assert.match(written, /ip: 192\.0\.2\.0/);
      assert.match(written, /kind: Namespace/);
    },
  },
  "kubectl get ippools,ipreservations,kubecontrollersconfigurations -o yaml > pools.yaml": {
    async after(world) {
      const written = readFileSync(join(world.dir, "pools.yaml"), "utf8");
      assert.match(written, /name: old-pool/);
      assert.match(written, /name: keep-free/);
      assert.match(written, /kind: KubeControllersConfiguration/);
    },
  },
  "kubectl get ipreservations": { shows: [/keep-free/] },
  "kubectl get services -A --field-selector spec.type=LoadBalancer": {
    shows: [/shop\s+my-service\s+LoadBalancer/, /default\s+waiting\s+LoadBalancer/],
    hides: [/internal/],
  },
  // docs/operations.md: "`kubectl get services -A` shows `<pending>` under EXTERNAL-IP".
  "kubectl get services -A": { shows: [/default\s+waiting\s+LoadBalancer\s+\S+\s+<pending>/] },
  "kubectl describe service NAME -n NS": {
    shows: [/Warning\s+AllocationFailed\s+.*pool closed is disabled/],
  },
  "kubectl get service NAME -n NS -o yaml": {
    shows: [/reason: PoolDisabled/, /type: projectcalico\.org\/LoadBalancerIPAllocated/],
  },
  "kubectl -n lbipam-system get lease": { shows: [/^lbipam-controller\s/m] },
  "kubectl describe service my-service -n shop": {
    shows: [/LoadBalancer Ingress:\s+192\.0\.2\.0/, /Normal\s+IPAllocated\s+.*192\.0\.2\.0/],
  },
  "kubectl get service my-service -n shop -o yaml": {
    shows: [/reason: Allocated/, /type: projectcalico\.org\/LoadBalancerIPAllocated/],
  },
  "kubectl get ippools -o wide": {
    shows: [/old-pool\s+192\.0\.2\.0\/30\s.*\bTrue\s+1\s+4\s+0\s+Allocatable/],
  },
};

// ---------------------------------------------------------------------------------------------
// The tests

/** Expected output line as a pattern: runs of spaces as one or more, `...` as anything. */
function outputPattern(line: string): RegExp {
  const parts = line.split("...").map((part) =>
    part
      .trim()
      .split(/\s+/)
      .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("\\s+"),
  );
  return new RegExp(parts.join(".*"));
}

const PLACEHOLDER = /(^|\s)[A-Z][A-Z_]+(?=\s|$)/;

const pages = listPages().map((name) => ({
  name,
  ...readPage(name, readFileSync(join(repository, name), "utf8")),
}));

it("reads the conventions: shell lines, heredocs, console output, files, inline spans, stray commands", () => {
  const page = readPage(
    "example.md",
    [
      "Run `kubectl get pods -A` or `lbipam_leader`.", // 1
      "```sh", // 2
      "# a comment", // 3
      "npm ci && npm start   # both", // 4
      "kubectl get \\", // 5
      "  ippools", // 6
      "kubectl apply -f - <<'EOF'   # exit 1: why", // 7
      "kind: Namespace", // 8
      "EOF", // 9
      "```", // 10
      "```console", // 11
      "$ kubectl get ns  # lists", // 12
      "NAME   STATUS", // 13
      "default ... Active", // 14
      "```", // 15
      "```yaml pools.yaml", // 16
      "kind: IPPool", // 17
      "```", // 18
      "```", // 19
      "kubectl delete ns shop", // 20
      "```", // 21
      "```text", // 22
      "kubectl anything", // 23
      "```", // 24
    ].join("\n"),
  );
  assert.deepEqual(
    page.commands.map((c) => [c.line, c.text, c.exit, c.output]),
    [
      [1, "kubectl get pods -A", 0, []],
      [4, "npm ci", 0, []],
      [4, "npm start", 0, []],
      [5, "kubectl get ippools", 0, []],
      [7, "kubectl apply -f - <<'EOF'", 1, []],
      [12, "kubectl get ns", 0, ["NAME   STATUS", "default ... Active"]],
    ],
  );
  assert.equal(page.commands[4]?.script, "kubectl apply -f - <<'EOF'\nkind: Namespace\nEOF");
  assert.deepEqual(page.files, [{ name: "pools.yaml", content: "kind: IPPool\n", line: 16 }]);
  assert.deepEqual(page.strayCommands, [{ line: 20, lang: "(untagged)", text: "kubectl delete ns shop" }]);
  assert.match("NAME     STATUS\ndefault   Active   1s", outputPattern("default ... Active"));
});

it("finds commands on the pages it reads", () => {
  assert.ok(pages.some((page) => page.name === "docs/operations.md"));
  assert.ok(pages.reduce((n, page) => n + page.commands.length, 0) > 20);
});

it("has no command in a fence that is not run (tag it sh or console, or text if it is only an illustration)", () => {
  const stray = pages.flatMap((page) =>
    page.strayCommands.map((s) => `${page.name}:${s.line} (${s.lang}) ${s.text}`),
  );
  assert.deepEqual(stray, []);
});

it("has no table entry that no page uses", () => {
  const used = new Set(pages.flatMap((page) => page.commands.map((c) => c.text)));
  const stale = [SKIPPED, FRAGMENTS, RUN_INSTEAD, CHECKS, SECTION_CHECKS].flatMap((table) =>
    Object.keys(table).filter((key) => !used.has(key)),
  );
  assert.deepEqual(stale, []);
});

// Pages at once, each in its own world; a page's commands in its order.
describe("the pages", { concurrency: true }, () => {
  for (const page of pages) {
    const runnable = page.commands.filter((c) => !(c.text in SKIPPED) && !(c.text in FRAGMENTS));
    if (page.commands.length === 0) {
      it(`${page.name}: has no commands`, () => {});
      continue;
    }
    describe(page.name, { concurrency: false }, () => {
      const worlds = new Map<string, World>();
      if (runnable.length > 0) {
        before(async () => {
          for (const kind of new Set(runnable.map((c) => c.world))) {
            const world = await makeWorld(page.name, kind);
            worlds.set(kind, world);
            await furnish(world, page.files);
          }
        });
        after(async () => {
          for (const world of worlds.values()) await endWorld(world);
        });
      }

      const ran = new Map<string, number>();
      for (const command of page.commands) {
        const name = `${page.name}:${command.line}: ${command.text}`;
        // A command is run once per world: what it did stays done there.
        const once = `${command.world} ${command.text}`;
        const earlier = command.output.length === 0 ? ran.get(once) : undefined;
        if (earlier === undefined && command.output.length === 0) ran.set(once, command.line);
        const skipped =
          SKIPPED[command.text] ??
          FRAGMENTS[command.text] ??
          (earlier === undefined ? undefined : `already run on this page, at line ${earlier}`);
        if (skipped !== undefined) {
          const what =
            command.text in SKIPPED ? "not run: " : command.text in FRAGMENTS ? "not a command: " : "";
          it(name, { skip: `${what}${skipped}` }, () => {});
          continue;
        }
        it(name, async (t) => {
          const world = worlds.get(command.world);
          assert.ok(world, "the page's world");
          const instead = RUN_INSTEAD[command.text];
          if (instead) t.diagnostic(`runs ${instead.run(world)}: ${instead.why}`);
          else
            assert.doesNotMatch(command.text, PLACEHOLDER, "a placeholder: add the command to RUN_INSTEAD");
          const script = instead ? instead.run(world) : command.script;
          const check = checkOf(command);
          const started = start(world, script, { exec: check.background !== undefined });
          if (check.background) {
            await check.background.ready(world, started);
            await check.after?.(world, started);
            if (check.background.keep) world.running.push({ command, script, process: started });
            else await stopCommand(command, script, started);
            return;
          }
          const result = await finish(started, script, 60_000);
          const output = `${result.stdout}${result.stderr}`;
          assert.equal(result.code, command.exit, `exit code; output:\n${output}`);
          for (const line of command.output) {
            assert.match(output, outputPattern(line), `the page shows "${line}"`);
          }
          for (const pattern of check.shows ?? []) assert.match(output, pattern);
          for (const pattern of check.hides ?? []) assert.doesNotMatch(output, pattern);
          await check.after?.(world, started);
        });
      }

      if (runnable.some((c) => checkOf(c).background?.keep)) {
        it(`${page.name}: what the page started stops cleanly`, async () => {
          for (const world of worlds.values()) {
            for (const { command, script, process: started } of world.running.splice(0).reverse()) {
              await stopCommand(command, script, started);
            }
          }
        });
      }
    });
  }
});
