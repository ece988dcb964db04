// Preloaded into hit-path.ts's servers (`--import`): answers the parent's IPC message with the
// process's CPU time so far, so a batch of requests is charged to the server alone, in µs.
process.on('message', () => process.send?.(process.cpuUsage()))
