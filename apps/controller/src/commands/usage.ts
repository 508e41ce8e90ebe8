// Flag parsing shared by the subcommands. Bad invocations end with a message
// on stderr and exit code 2; --help prints the usage and exits 0.
import { type ParseArgsConfig, parseArgs } from "node:util";

export const usageExitCode = 2;

export function usageError(problem: string, usage: string): number {
  process.stderr.write(`lbipam: ${problem}\n${usage}`);
  return usageExitCode;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * Parses `args` strictly against `options` (a `--help`/`-h` flag is added).
 * Returns the values, or the exit code to end with at once (help shown, or
 * the flags refused).
 */
export function parseFlags(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  usage: string,
): FlagValues | number {
  let values: FlagValues;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error), usage);
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  return values;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `127.0.0.1:8443` or `[::1]:8443`; undefined when malformed. */
export function parseListen(value: string): ListenAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

/** The HOST:PORT of flag `name`, or the exit code of its refusal. */
export function listenFlag(values: FlagValues, name: string, usage: string): ListenAddress | number {
  const listen = parseListen(String(values[name]));
  return listen ?? usageError(`--${name}: "${String(values[name])}" is not HOST:PORT`, usage);
}
