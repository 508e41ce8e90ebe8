#!/usr/bin/env node
// Entry point of the `lbipam` CLI; the code lives in the build output (npm run build).
import { main } from "../dist/src/cli.js";

process.exitCode = await main(process.argv.slice(2));
