// The lbipam CLI: a small dispatcher over subcommand modules. Each module is
// imported only when its subcommand runs: the controller, the API server and
// client-node take seconds to load, which `lbipam --help` should not pay.
import { readFileSync } from "node:fs";
import { usageError } from "./commands/usage.js";

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { load: () => Promise<Command>; summary: string }> = {
  apiserver: {
    load: async () => (await import("./commands/apiserver.js")).runApiServer,
    summary: "serve the embedded Kubernetes API server with lbipam's CRDs",
  },
  controller: {
    load: async () => (await import("./commands/controller.js")).runController,
    summary: "run the controller against a cluster",
  },
  start: {
    load: async () => (await import("./commands/start.js")).runStart,
    summary: "run the embedded API server and the controller, with the examples applied",
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: lbipam <command> [flags]\n\ncommands:\n${lines.join("\n")}\n  ${"version".padEnd(12)} print the version (also --version)\n`;
}

/** The package's version (this file runs from dist/src). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `lbipam ${manifest.version} (Node ${process.version})\n`;
}

/** Runs the CLI with the arguments after the program name; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return 0;
  }
  if (name === "version" || name === "--version") {
    process.stdout.write(version());
    return 0;
  }
  if (name === undefined) return usageError("no command given", usage());
  // hasOwn: `lbipam constructor` must not find Object.prototype's.
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) return usageError(`unknown command "${name}"`, usage());
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    if (!isMissingApiServer(error)) throw error;
    process.stderr.write(
      `lbipam ${name}: the embedded API server is not installed here (the controller image carries \`lbipam controller\` only); run it from the repository\n`,
    );
    return 1;
  }
}

/** The embedded API server is a development dependency: production installs leave it out. */
function isMissingApiServer(error: unknown): boolean {
  return (
    (error as { code?: unknown } | null)?.code === "ERR_MODULE_NOT_FOUND" &&
    String((error as Error).message).includes("@lbipam/apiserver")
  );
}
