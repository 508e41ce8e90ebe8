#!/usr/bin/env node
// Entry point of the `kubectl lbipam` plugin; the code is the build's bundle (scripts/bundle.mjs).
// Node 24 warns about url.parse (DEP0169) when code outside node_modules calls it, as the bundled
// node-fetch of client-node does on every request; the warning is for node-fetch's authors, and an
// installed plugin (inside node_modules) never shows it. Every other warning still prints.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...details) => {
  const code = typeof details[0] === "object" ? details[0]?.code : details[1];
  if (code !== "DEP0169") emitWarning.call(process, warning, ...details);
};
const cli = new URL("../dist/bundle/cli.js", import.meta.url);
let main;
try {
  ({ main } = await import(cli.href));
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("cli.js")) throw error;
  process.stderr.write(
    "kubectl-lbipam: the plugin is not built yet; run `npm run build` in the repository first\n",
  );
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
