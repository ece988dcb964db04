// The same packages from ESM on the same Node: which files the `node` condition picks.
console.log(
  JSON.stringify({
    coreEntry: import.meta.resolve('@tokengate/core'),
    expressEntry: import.meta.resolve('@tokengate/express'),
    exports: Object.keys(await import('@tokengate/express')).sort(),
  }),
)
