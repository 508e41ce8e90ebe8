// The /version answer. kubectl's dispatcher on these machines runs the kubectl.<major>.<minor>
// binary matching the minor version reported here.
import { InvalidOptionError } from "./errors.js";

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** `kubernetesVersion` is `1.32` or `1.32.4`. */
export function versionInfo(kubernetesVersion: string): VersionInfo {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(kubernetesVersion);
  if (!match)
    throw new InvalidOptionError(
      "kubernetesVersion",
      `"${kubernetesVersion}" is not a version like 1.32 or 1.32.4`,
    );
  const [, major, minor, patch = "0"] = match;
  return {
    major: major!,
    minor: minor!,
    gitVersion: `v${major}.${minor}.${patch}`,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}
