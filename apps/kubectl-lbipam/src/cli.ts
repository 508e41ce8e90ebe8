// `kubectl lbipam`: a small dispatcher over the subcommands. Exit codes as
// kubectl's: 0 done, 1 an error (cluster, files, missing objects), 2 a bad
// command line.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Command, Io, Values } from "./commands/command.js";
import { explainCommand } from "./commands/explain.js";
import { poolsCommand } from "./commands/pools.js";
import { simulateCommand } from "./commands/simulate.js";
import { PluginError, UsageError } from "./errors.js";

export const commands: Record<string, Command> = {
  pools: poolsCommand,
  explain: explainCommand,
  simulate: simulateCommand,
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `lbipam: LoadBalancer IP address management, from kubectl.

Usage:
  kubectl lbipam <command> [flags]

Commands:
${lines.join("\n")}

  version    print the plugin's version (also --version)

Run "kubectl lbipam <command> --help" for a command's flags.
`;
}

/** The plugin's version (this file runs from dist/src). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `kubectl-lbipam ${manifest.version} (Node ${process.version})\n`;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the plugin with the arguments after `kubectl lbipam`; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return 0;
  }
  if (name === "version" || name === "--version") {
    io.stdout(version());
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  try {
    if (!command) throw new UsageError(`unknown command "${name}" for "kubectl lbipam"`);
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...command.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      }) as { values: Values; positionals: string[] };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (parsed.values.help) {
      io.stdout(command.usage);
      return 0;
    }
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    if (error instanceof UsageError) {
      io.stderr(`See "kubectl lbipam ${command ? `${name} ` : ""}--help" for usage.\n`);
    }
    return error.exitCode;
  }
}
