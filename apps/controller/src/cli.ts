// The lbipam CLI: a small dispatcher over subcommand modules.
import { runApiServer } from "./commands/apiserver.js";
import { runController } from "./commands/controller.js";
import { runStart } from "./commands/start.js";
import { usageError } from "./commands/usage.js";

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  apiserver: { run: runApiServer, summary: "serve the embedded Kubernetes API server with lbipam's CRDs" },
  controller: { run: runController, summary: "run the controller against a cluster" },
  start: {
    run: runStart,
    summary: "run the embedded API server and the controller, with the examples applied",
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: lbipam <command> [flags]\n\ncommands:\n${lines.join("\n")}\n`;
}

/** Runs the CLI with the arguments after the program name; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return 0;
  }
  if (name === undefined) return usageError("no command given", usage());
  const command = commands[name];
  if (!command) return usageError(`unknown command "${name}"`, usage());
  return command.run(rest);
}
