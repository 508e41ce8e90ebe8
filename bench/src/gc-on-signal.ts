// Loaded into a controller process by the benchmarks (node --expose-gc
// --import): SIGUSR2 runs a full garbage collection, so memory can be read
// with only live objects on the heap. The controller itself is unchanged.
process.on("SIGUSR2", () => {
  (globalThis as { gc?: () => void }).gc?.();
});
