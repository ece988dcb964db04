// The `express4` and `koa2` devDependencies are aliases of express@4 and koa@2, which ship no types of their own.
declare module 'express4' {
  import type express from 'express'
  const express4: typeof express
  export default express4
}

declare module 'koa2' {
  import type Koa from 'koa'
  const koa2: typeof Koa
  export default koa2
}
