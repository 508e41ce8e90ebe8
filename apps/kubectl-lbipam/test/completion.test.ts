// What `kubectl_complete-lbipam` answers (cobra's __complete format).
import assert from "node:assert/strict";
import { it } from "node:test";
import { commands } from "../src/cli.js";
import { complete } from "../src/completion.js";

it("completes commands, each command's flags, -o formats, and leaves file flags to the shell", () => {
  const steps: [string[], string][] = [
    [
      [""],
      `${Object.entries(commands)
        .map(([n, c]) => `${n}\t${c.summary}\n`)
        .join("")}version\tprint the plugin's version\n:4\n`,
    ],
    [["ex"], `explain\t${commands.explain!.summary}\n:4\n`],
    [["pools", "--o"], "--output\n:4\n"],
    [["pools", "-o", ""], "table\nwide\njson\nyaml\nname\njsonpath=\ncustom-columns=\n:4\n"],
    [["pools", "-o", "j"], "json\njsonpath=\n:4\n"],
    [["simulate", "-f", ""], ":0\n"],
    [["explain", "--kubeconfig", ""], ":0\n"],
    [["simulate", "--delete"], "--delete-pool\n:4\n"],
    [["nope", ""], ":4\n"],
    [["pools", ""], ":4\n"],
  ];
  for (const [words, answer] of steps) assert.equal(complete(commands, words), answer, words.join(" "));
});
