// The plugin as kubectl runs it: one ESM bundle of the compiled plugin and
// everything it imports (the workspace packages, client-node, yaml), so a
// packed tarball installs with no registry and a call loads a few files
// instead of thousands (client-node's import took most of a call's time).
// Code split: `--help`, `version` and completion never load the client-node chunk.
import { rmSync } from "node:fs";
import { build } from "esbuild";

const outdir = new URL("../dist/bundle/", import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: new URL("../dist/src/cli.js", import.meta.url).pathname,
    completion: new URL("../dist/src/completion.js", import.meta.url).pathname,
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  // Bundled CommonJS (client-node's dependencies) calls require: give the ES module one.
  banner: {
    js: "import { createRequire as __lbipamRequire } from 'node:module'; const require = __lbipamRequire(import.meta.url);",
  },
  // node-fetch's whatwg-url and tr46 require Node's built-in punycode, which
  // Node 22 warns about (DEP0040) outside node_modules, as a bundle is: the
  // userland package it points users to instead has the same API.
  alias: { punycode: "punycode/" },
  logLevel: "warning",
});
