#!/usr/bin/env node
// Shell completion for `kubectl lbipam`: kubectl (1.26+) runs this with the words after the plugin's name.
const { commands } = await import(new URL("../dist/bundle/cli.js", import.meta.url).href);
const { complete } = await import(new URL("../dist/bundle/completion.js", import.meta.url).href);
process.stdout.write(complete(commands, process.argv.slice(2)));
