// What every suite returns and how results are written to bench/results/<suite>.json,
// and the statistics suites compute them with.
import { arch, cpus, platform, release, totalmem } from "node:os";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 5" or "floor" where the result is a reference, not a goal. */
  target: string;
  /** null where there is no target to pass or miss. */
  pass: boolean | null;
  note?: string;
}

/** What `npm run bench` passes every suite's `run`; a suite reads the options it knows. */
export interface SuiteOptions {
  /** `--against COMMIT`: the apiserver suite also measures that commit's API server, interleaved with this one's. */
  against?: string;
}

export interface SuiteReport {
  suite: string;
  date: string;
  machine: MachineInfo;
  results: BenchResult[];
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** The q-quantile (q from 0 to 1): the value at index floor(q × n) of the sorted values. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
