// A module customization hook (for node:module's register) that appends the URL
// of every module the process resolves to the file named by LBIPAM_IMPORT_LOG,
// as it resolves it: which modules a command loaded, with no timing involved.
import { appendFileSync } from "node:fs";
import type { ResolveHook } from "node:module";

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context);
  const log = process.env.LBIPAM_IMPORT_LOG;
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
};
