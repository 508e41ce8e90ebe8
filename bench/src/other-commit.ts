// Another commit's build of one workspace package, for a benchmark to compare with: a detached
// git worktree of that commit in a temporary directory, this checkout's node_modules linked
// into it (the package's dependencies as installed here), and tsc of that package's src alone.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repository = fileURLToPath(new URL("../../../", import.meta.url));

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

export interface OtherCommitBuild {
  /** The full hash the short name given resolved to. */
  commit: string;
  /** The package's built entry (dist/src/index.js), for import(). */
  entry: string;
  /** Removes the worktree (and git's record of it). */
  remove(): void;
}

/** Builds `packageDir` (e.g. "packages/apiserver") as it is at `commit`. */
export function buildAtCommit(commit: string, packageDir: string): OtherCommitBuild {
  const hash = run("git", ["rev-parse", "--verify", `${commit}^{commit}`], repository);
  const dir = mkdtempSync(join(tmpdir(), "lbipam-before-"));
  const remove = (): void => {
    spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: repository });
    rmSync(dir, { recursive: true, force: true });
    spawnSync("git", ["worktree", "prune"], { cwd: repository });
  };
  try {
    run("git", ["worktree", "add", "--quiet", "--detach", dir, hash], repository);
    symlinkSync(join(repository, "node_modules"), join(dir, "node_modules"), "dir");
    const packageRoot = join(dir, packageDir);
    // The package's tests need nothing here and take most of its compile time.
    const srcOnly = join(packageRoot, "tsconfig.bench-src.json");
    writeFileSync(srcOnly, JSON.stringify({ extends: "./tsconfig.json", include: ["src"] }));
    run(process.execPath, [join(repository, "node_modules", "typescript", "bin", "tsc"), "-p", srcOnly], dir);
    return { commit: hash, entry: pathToFileURL(join(packageRoot, "dist", "src", "index.js")).href, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
