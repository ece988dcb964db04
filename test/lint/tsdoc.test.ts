// Editor experience (issue 14 item 6): every symbol a published entry point exports, and every
// property of the public option and result types, carries TSDoc, so hovering it in an editor says
// what it does and its default. The TypeScript compiler reads the entries as a user's project would.
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

// The published entry points (each package.json `exports`), listed by hand so that a new entry
// is a deliberate addition here too.
const entries = [
  'packages/core/src/index.ts',
  'packages/core/src/adapter/index.ts',
  'packages/express/src/index.ts',
  'packages/koa/src/index.ts',
  'packages/hono/src/index.ts',
  'packages/redis/src/index.ts',
  'packages/cli/src/index.ts',
  'packages/testing/src/index.ts',
  'packages/otel/src/index.ts',
].map((file) => `${root}${file}`)

const program = ts.createProgram(entries, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  customConditions: ['@tokengate/source'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
})
const checker = program.getTypeChecker()

// Only our own declarations count: a property that comes from zod or a framework is theirs to
// document.
const ours = (decl: ts.Declaration): boolean => {
  const file = decl.getSourceFile().fileName
  return file.startsWith(`${root}packages/`) && !file.includes('/node_modules/')
}

const documented = (symbol: ts.Symbol): boolean =>
  ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== ''

function resolve(symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
}

function missing(): string[] {
  const out = new Set<string>()
  for (const entry of entries) {
    const source = program.getSourceFile(entry)
    if (source === undefined) throw new Error(`${entry} is not in the program`)
    const moduleSymbol = checker.getSymbolAtLocation(source)
    if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`)
    const where = entry.slice(root.length)
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = resolve(exported)
      const decls = (symbol.declarations ?? []).filter(ours)
      if (decls.length === 0) continue
      if (!documented(symbol)) out.add(`${where}: ${exported.name}`)
      // Properties of the exported object types (options, results, stores): the hover on
      // `leeway:` or `auth.claims` is where a user reads the default.
      if (!(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue
      const type = checker.getDeclaredTypeOfSymbol(symbol)
      for (const property of checker.getPropertiesOfType(type)) {
        const own = (property.declarations ?? []).filter(ours)
        if (own.length === 0) continue
        if (!documented(property)) out.add(`${where}: ${exported.name}.${property.name}`)
      }
    }
  }
  return [...out].sort()
}

describe('TSDoc on the public surface', () => {
  it('the entries export something (the check is not vacuous)', () => {
    const source = program.getSourceFile(entries[0] as string)
    const moduleSymbol = source && checker.getSymbolAtLocation(source)
    expect(moduleSymbol && checker.getExportsOfModule(moduleSymbol).length).toBeGreaterThan(20)
  })

  it('every exported symbol and every property of an exported type has a doc comment', () => {
    expect(missing()).toEqual([])
  })
})
