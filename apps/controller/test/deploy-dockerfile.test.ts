// The Dockerfile, without a Docker engine: every path it copies exists after `npm ci` and the
// build and is not left out by .dockerignore, every workspace npm needs is copied, every base
// is pinned by digest, and the production and runtime stages rebuilt in a temporary directory
// (their COPY and RUN lines, production dependencies only) start the controller its ENTRYPOINT
// names, with neither npm nor corepack nor the embedded API server's code in the image.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  cpSync,
  type Dirent,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadYaml } from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { run } from "./helpers/run.js";

const repository = fileURLToPath(new URL("../../../../", import.meta.url));
/** Node's active LTS (Node 20 reached end of life in April 2026, 22 is in maintenance). */
const NODE_IMAGE = "node:24-slim";
const PINNED = /^(?<name>[a-z0-9./-]+:[\w.-]+)@sha256:[0-9a-f]{64}$/;
/** What a stage may take from the Node image beside its own work: the node binary, found here at. */
const FROM_NODE_IMAGE: Record<string, string> = { "/usr/local/bin/node": process.execPath };

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name: string;
  workdir: string;
  instructions: Instruction[];
}
interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

/** Stages of the Dockerfile: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    if (op.toUpperCase() === "FROM") {
      const [image = "", , name = ""] = args.split(/\s+/);
      stages.push({ image, name, workdir: "/", instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    assert.ok(stage, `${op} before FROM`);
    if (op.toUpperCase() === "WORKDIR") stage.workdir = posix.resolve(stage.workdir, args);
    stage.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift()!;
    if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
  }
  const destination = words.pop()!;
  return { from, sources: words, destination };
}

/** Whether .dockerignore leaves `path` (relative to the context) out of the build context. */
function ignored(patterns: string[], path: string): boolean {
  let out = false;
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]]/g, "\\$&")
        .replace(/\*\*\//g, "GLOBSTAR")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]")
        .replace(/GLOBSTAR/g, "(?:.*/)?")}(?:/.*)?$`,
    );
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = posix.normalize(negated ? raw.slice(1) : raw).replace(/^\//, "");
    if (toRegExp(pattern).test(path)) out = !negated;
  }
  return out;
}

/** The workspaces of the root package.json, as relative directories. */
function workspaces(): string[] {
  const root = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(repository, parent))
      .filter((name) => existsSync(join(repository, parent, name, "package.json")))
      .map((name) => `${parent}/${name}`);
  });
}

/** The @lbipam workspaces `name` needs at run time (its dependencies, transitively), itself included. */
function runtimeWorkspaces(name: string): string[] {
  const byName = new Map(
    workspaces().map((dir) => {
      const manifest = JSON.parse(readFileSync(join(repository, dir, "package.json"), "utf8")) as {
        name: string;
        dependencies?: Record<string, string>;
      };
      return [manifest.name, { dir, dependencies: Object.keys(manifest.dependencies ?? {}) }];
    }),
  );
  const found = new Set<string>();
  const visit = (next: string) => {
    const workspace = byName.get(next);
    if (!workspace || found.has(workspace.dir)) return;
    found.add(workspace.dir);
    for (const dependency of workspace.dependencies) visit(dependency);
  };
  visit(name);
  return [...found].sort();
}

const dockerfile = readFileSync(join(repository, "Dockerfile"), "utf8");
const stages = parseDockerfile(dockerfile);
const dockerignore = readFileSync(join(repository, ".dockerignore"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"));
const buildStage = stages.find((s) => s.name === "build")!;
const productionStage = stages.find((s) => s.name === "production")!;
const runtimeStage = stages.at(-1)!;
const copies = (stage: Stage) =>
  stage.instructions.filter((i) => i.op === "COPY").map((i) => parseCopy(i.args));
const entrypoint = () => {
  const line = runtimeStage.instructions.findLast((i) => i.op === "ENTRYPOINT");
  assert.ok(line, "an ENTRYPOINT");
  return JSON.parse(line.args) as string[];
};

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "lbipam-image-"));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("builds on the active Node LTS, every base pinned by digest, and runs as a numeric non-root user", () => {
  assert.deepEqual(
    stages.map((s) => s.name),
    ["build", "production", "runtime"],
  );
  for (const stage of stages) assert.match(stage.image, PINNED, `${stage.name}'s base is pinned by digest`);
  for (const stage of [buildStage, productionStage])
    assert.equal(PINNED.exec(stage.image)?.groups?.name, NODE_IMAGE, `${stage.name} runs on ${NODE_IMAGE}`);
  // The runtime's base is no Node image (those carry npm and corepack): it takes the node binary alone.
  assert.doesNotMatch(runtimeStage.image, /^node:/);
  const fromNode = copies(runtimeStage).flatMap((copy) =>
    copy.sources.filter((source) => source.startsWith("/usr/")),
  );
  assert.deepEqual(fromNode, ["/usr/local/bin/node"]);
  const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === "RUN").map((i) => i.args);
  assert.ok(runs(buildStage).some((r) => /\bnpm ci\b/.test(r)));
  assert.ok(runs(buildStage).some((r) => /\bturbo run build\b/.test(r)));
  assert.ok(runs(productionStage).some((r) => /\bnpm ci\b.*--omit=dev/.test(r)));
  assert.deepEqual(runs(runtimeStage), [], "the runtime stage runs nothing (it has no shell tools to trust)");
  const user = runtimeStage.instructions.findLast((i) => i.op === "USER")?.args ?? "";
  const [uid] = user.split(":");
  assert.match(user, /^\d+(:\d+)?$/, "numeric, so the kubelet can check runAsNonRoot");
  assert.notEqual(Number(uid), 0);
  const deployment = loadYaml<{ spec: { template: { spec: { securityContext: { runAsUser: number } } } } }>(
    readFileSync(join(repository, "deploy/deployment.yaml"), "utf8"),
  );
  assert.equal(deployment.spec.template.spec.securityContext.runAsUser, Number(uid));
  assert.deepEqual(entrypoint(), [
    "node",
    "--heap-growing-percent=30",
    "--max-semi-space-size=16",
    "apps/controller/bin/lbipam.js",
    "controller",
  ]);
});

it("copies only paths that exist after the build and that .dockerignore keeps in the context", () => {
  for (const stage of stages) {
    for (const copy of copies(stage)) {
      for (const source of copy.sources) {
        if (copy.from === undefined) {
          assert.ok(existsSync(join(repository, source)), `${source} exists`);
          assert.ok(!ignored(dockerignore, posix.normalize(source)), `${source} is not in .dockerignore`);
        } else {
          const from = stages.find((s) => s.name === copy.from);
          assert.ok(from, `stage ${copy.from}`);
          if (Object.hasOwn(FROM_NODE_IMAGE, source)) continue;
          const relative = posix.relative(from.workdir, source);
          assert.ok(!relative.startsWith(".."), `${source} is under ${from.workdir}`);
          assert.ok(existsSync(join(repository, relative)), `${relative} exists after the build`);
        }
      }
    }
  }
  // The build context has the sources, not local builds or installs.
  for (const path of ["node_modules", "apps/controller/node_modules", "apps/controller/dist", ".git"])
    assert.ok(ignored(dockerignore, path), `${path} stays out of the context`);
  for (const path of ["packages/allocator/src/index.ts", "apps/controller/bin/lbipam.js", "deploy/crds"])
    assert.ok(!ignored(dockerignore, path), `${path} is in the context`);
});

it("copies every workspace manifest npm ci needs, and the build of every workspace the controller runs", () => {
  const destinations = (stage: Stage) =>
    copies(stage).flatMap((copy) =>
      copy.sources.map((source) => {
        const base = copy.from
          ? posix.relative(stages.find((s) => s.name === copy.from)!.workdir, source)
          : source;
        return { source: base, destination: posix.resolve(stage.workdir, copy.destination) };
      }),
    );
  for (const stage of [buildStage, productionStage]) {
    const copied = destinations(stage);
    for (const workspace of workspaces()) {
      assert.ok(
        copied.some(
          (c) =>
            c.source === `${workspace}/package.json` &&
            (c.destination === posix.join(stage.workdir, workspace) ||
              c.destination === posix.join(stage.workdir, workspace, "package.json")),
        ),
        `${stage.name} copies ${workspace}/package.json`,
      );
    }
  }
  const built = destinations(productionStage).filter((c) => c.source.endsWith("/dist/src"));
  assert.deepEqual(
    built.map((c) => c.source.slice(0, -"/dist/src".length)).sort(),
    runtimeWorkspaces("@lbipam/controller"),
    "production copies the build of exactly the workspaces the controller runs",
  );
  assert.ok(!runtimeWorkspaces("@lbipam/controller").includes("packages/apiserver"));
});

it("names an entrypoint that starts, from the repository", async () => {
  const [command, ...args] = entrypoint();
  assert.equal(command, "node");
  const result = await run(process.execPath, [...args, "--help"], { cwd: repository });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^usage: lbipam controller/);
});

/**
 * A stage rebuilt in `root`: its COPY lines from the repository (the build stage's output is the
 * repository after its build), from a stage assembled before it, or from the Node image; its RUN
 * lines in a shell.
 */
async function assembleStage(stage: Stage, root: string, assembled: Map<string, string>): Promise<void> {
  const resolve = (path: string) => join(root, posix.resolve(stage.workdir, path));
  mkdirSync(resolve("."), { recursive: true });
  for (const instruction of stage.instructions) {
    if (instruction.op === "COPY") {
      const copy = parseCopy(instruction.args);
      const from = copy.from ? stages.find((s) => s.name === copy.from)! : undefined;
      const fromRoot = from && assembled.get(from.name);
      for (const source of copy.sources) {
        const path = Object.hasOwn(FROM_NODE_IMAGE, source)
          ? FROM_NODE_IMAGE[source]!
          : fromRoot
            ? join(fromRoot, posix.resolve(from.workdir, source))
            : join(
                repository,
                posix.relative(from?.workdir ?? "/", posix.resolve(from?.workdir ?? "/", source)),
              );
        // As Docker copies: a directory's contents, a file into a destination ending in "/".
        const intoDirectory =
          !statSync(path).isDirectory() && (copy.destination.endsWith("/") || copy.sources.length > 1);
        const target = intoDirectory
          ? join(resolve(copy.destination), posix.basename(source))
          : resolve(copy.destination);
        mkdirSync(dirname(target), { recursive: true });
        cpSync(path, target, { recursive: true });
      }
    } else if (instruction.op === "RUN") {
      // Build-time mounts (the npm cache) are not part of the command.
      const command = instruction.args.replace(/^(--mount=\S+\s+)+/, "");
      const result = await run("sh", ["-c", command], {
        cwd: resolve("."),
        // The packages are in the npm cache after the repository's own `npm ci`.
        env: { ...process.env, NODE_ENV: "production", npm_config_prefer_offline: "true" },
      });
      assert.equal(result.code, 0, `RUN ${command}:\n${result.stdout}\n${result.stderr}`);
    }
  }
  assembled.set(stage.name, root);
}

/** Every path under `root` whose name is one of `names`. */
function findNamed(root: string, names: string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[]) {
    if (names.includes(entry.name)) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}:\n${seen}`)), 60_000);
    child.stdout?.on("data", (c: Buffer) => {
      seen += c.toString();
      const line = seen.split("\n").find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once("close", () => reject(new Error(`exited before a line matching ${pattern}:\n${seen}`)));
  });
}

it("runs the controller from the runtime stage alone, with production dependencies only", async () => {
  const assembled = new Map<string, string>();
  await assembleStage(productionStage, join(dir, "production"), assembled);
  const root = join(dir, "image");
  await assembleStage(runtimeStage, root, assembled);
  const app = join(root, runtimeStage.workdir);
  for (const tool of ["typescript", "turbo", "@biomejs/biome", "fast-check"])
    assert.ok(!existsSync(join(app, "node_modules", tool)), `${tool} is not in the image`);
  assert.deepEqual(
    findNamed(root, ["npm", "npx", "corepack"]),
    [],
    "neither npm nor corepack is in the image",
  );
  assert.ok(existsSync(join(root, "usr/local/bin/node")), "the node binary is");
  // The embedded API server's code, or anything only it needs, is not.
  assert.ok(!existsSync(join(app, "packages/apiserver/dist")));
  assert.ok(!existsSync(join(app, "node_modules/@lbipam/apiserver/dist")));
  const [, ...args] = entrypoint();
  const help = await run(process.execPath, [...args, "--help"], { cwd: app });
  assert.equal(help.code, 0, help.stderr);
  const cli = args.find((arg) => arg.endsWith("lbipam.js"))!;
  const apiserver = await run(process.execPath, [cli, "apiserver", "--crds", app], { cwd: app });
  assert.equal(apiserver.code, 1);
  assert.match(apiserver.stderr, /^lbipam apiserver: the embedded API server is not installed here/);

  // And it works as deployed: against an API server, it serves /metrics over HTTPS with the
  // certificate it makes (the image has what that takes), syncs its caches and says so.
  let server: ApiServer | undefined;
  let child: ChildProcess | undefined;
  try {
    server = await startApiServer({ port: 0, crdDirectory: join(repository, "deploy/crds") });
    const kubeconfig = join(dir, "kubeconfig");
    server.writeKubeconfig(kubeconfig);
    child = spawn(
      process.execPath,
      [
        ...args,
        "--kubeconfig",
        kubeconfig,
        "--metrics-listen",
        "127.0.0.1:0",
        "--metrics-secure",
        "--health-listen",
        "127.0.0.1:0",
        "--allocator-threads",
        "1",
      ],
      { cwd: app, stdio: ["ignore", "pipe", "pipe"] },
    );
    await Promise.all([waitForLine(child, /"metrics at https:\/\//), waitForLine(child, /caches synced/)]);
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once("close", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await server?.stop();
  }
});
