// Shell completion through kubectl (1.26+: kubectl runs `kubectl_complete-lbipam`
// with the words after `kubectl lbipam`, the last being the one to complete,
// and passes on what it prints). The format is cobra's `__complete` answer:
// one candidate per line (TAB, then a description), then `:DIRECTIVE`
// (github.com/spf13/cobra completions.go: 0 default, shell completes files;
// 4 NoFileComp).
import type { Command } from "./commands/command.js";

const FILE_COMPLETION = 0;
const NO_FILE_COMPLETION = 4;

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml", "name", "jsonpath=", "custom-columns="];

/** Flags whose value is a file or directory: the shell completes it. */
const FILE_FLAGS = new Set(["-f", "--filename", "--kubeconfig"]);

function answer(candidates: string[], directive: number): string {
  return `${candidates.map((c) => `${c}\n`).join("")}:${directive}\n`;
}

export function complete(commands: Record<string, Command>, words: string[]): string {
  const current = words.at(-1) ?? "";
  const previous = words.at(-2);
  const matching = (candidates: string[]) => candidates.filter((c) => c.startsWith(current));
  if (words.length <= 1) {
    const names = Object.entries(commands).map(([name, command]) => `${name}\t${command.summary}`);
    return answer(matching([...names, "version\tprint the plugin's version"]), NO_FILE_COMPLETION);
  }
  const command = Object.hasOwn(commands, words[0]!) ? commands[words[0]!] : undefined;
  if (!command) return answer([], NO_FILE_COMPLETION);
  if (previous === "-o" || previous === "--output")
    return answer(matching(OUTPUT_FORMATS), NO_FILE_COMPLETION);
  if (previous !== undefined && FILE_FLAGS.has(previous)) return answer([], FILE_COMPLETION);
  if (current.startsWith("-")) {
    const flags = Object.entries({ ...command.options, help: { type: "boolean" } }).map(
      ([name]) => `--${name}`,
    );
    return answer(matching(flags), NO_FILE_COMPLETION);
  }
  return answer([], NO_FILE_COMPLETION);
}
