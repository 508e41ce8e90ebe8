#!/usr/bin/env node
// Entry point of the `kubectl lbipam` plugin; the code is the build's bundle (scripts/bundle.mjs).
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
