// The `express4` devDependency is an alias of express@4, which ships no types of its own.
declare module 'express4' {
  import type express from 'express'
  const express4: typeof express
  export default express4
}
