// Bad invocations end with a message on stderr and exit code 2.
export const usageExitCode = 2;

export function usageError(problem: string, usage: string): number {
  process.stderr.write(`lbipam: ${problem}\n${usage}`);
  return usageExitCode;
}
