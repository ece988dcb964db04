// The lint rules that keep the layout (docs/ARCHITECTURE.md, "The import rule") must keep firing:
// each case lints a source string as if it were a file at `path` (the file need not exist; its
// imports resolve against the real tree) and asserts the exact rule, or that nothing fires.
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const eslint = new ESLint({ cwd: root })

async function lint(
  path: string,
  code: string,
): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${path}` })
  return (result?.messages ?? []).map(({ ruleId, message }) => ({ ruleId, message }))
}

const LAYER = 'boundaries/dependencies'
const NAMED = 'no-restricted-imports'

const cases: { name: string; path: string; code: string; fires: string | null }[] = [
  // Upward imports, one per boundary that matters most.
  {
    name: 'util/ imports the root types (util is the lowest layer)',
    path: 'packages/core/src/util/fixture.ts',
    code: "import type { AuthContext } from '../types.js'\nexport type X = AuthContext\n",
    fires: LAYER,
  },
  {
    name: 'errors.ts imports options.ts',
    path: 'packages/core/src/errors.ts',
    code: "import { resolveOptions } from './options.js'\nexport const x = resolveOptions\n",
    fires: LAYER,
  },
  {
    name: 'keys/ imports token/',
    path: 'packages/core/src/keys/fixture.ts',
    code: "import * as jws from '../token/jws.js'\nexport const x = jws\n",
    fires: LAYER,
  },
  {
    name: 'token/ imports request/',
    path: 'packages/core/src/token/fixture.ts',
    code: "import * as extract from '../request/extract.js'\nexport const x = extract\n",
    fires: LAYER,
  },
  {
    name: 'request/ imports dpop/',
    path: 'packages/core/src/request/fixture.ts',
    code: "import * as dpop from '../dpop/index.js'\nexport const x = dpop\n",
    fires: LAYER,
  },
  {
    name: 'dpop/ imports policy/',
    path: 'packages/core/src/dpop/fixture.ts',
    code: "import * as guards from '../policy/guards.js'\nexport const x = guards\n",
    fires: LAYER,
  },
  {
    name: 'policy/ imports issuing/',
    path: 'packages/core/src/policy/fixture.ts',
    code: "import * as issue from '../issuing/issue.js'\nexport const x = issue\n",
    fires: LAYER,
  },
  {
    name: 'issuing/ imports authenticate.ts',
    path: 'packages/core/src/issuing/fixture.ts',
    code: "import * as a from '../authenticate.js'\nexport const x = a\n",
    fires: LAYER,
  },
  {
    name: 'options.ts imports adapter/',
    path: 'packages/core/src/options.ts',
    code: "import * as a from './adapter/index.js'\nexport const x = a\n",
    fires: LAYER,
  },
  {
    name: 'adapter/ imports the barrel',
    path: 'packages/core/src/adapter/fixture.ts',
    code: "import * as core from '../index.js'\nexport const x = core\n",
    fires: LAYER,
  },
  // Downward and same-folder imports stay allowed.
  {
    name: 'token/ imports keys/, errors and util/',
    path: 'packages/core/src/token/fixture.ts',
    code: "import * as k from '../keys/public-key.js'\nimport { AuthError } from '../errors.js'\nimport { parseDuration } from '../util/duration.js'\nexport const x = [k, AuthError, parseDuration]\n",
    fires: null,
  },
  {
    name: 'dpop/ imports its own folder',
    path: 'packages/core/src/dpop/fixture.ts',
    code: "import * as p from './proof.js'\nexport const x = p\n",
    fires: null,
  },
  {
    name: 'the barrel imports adapter/',
    path: 'packages/core/src/index.ts',
    code: "export * from './adapter/index.js'\n",
    fires: null,
  },
  // The adapter subpath, by name, from app-facing code.
  {
    name: 'an example app imports @tokengate/core/adapter',
    path: 'examples/express-app/src/fixture.ts',
    code: "import * as a from '@tokengate/core/adapter'\nexport const x = a\n",
    fires: NAMED,
  },
  {
    name: 'a core module imports @tokengate/core/adapter',
    path: 'packages/core/src/policy/fixture.ts',
    code: "import * as a from '@tokengate/core/adapter'\nexport const x = a\n",
    fires: NAMED,
  },
  {
    name: 'an example app imports @tokengate/core',
    path: 'examples/express-app/src/fixture.ts',
    code: "import * as c from '@tokengate/core'\nexport const x = c\n",
    fires: null,
  },
]

describe('lint: the core layer rule and the adapter subpath rule', () => {
  it.each(cases)('$name', async ({ path, code, fires }) => {
    const messages = await lint(path, code)
    if (!fires) return expect(messages).toEqual([])
    const hit = messages.find((m) => m.ruleId === fires)
    expect(hit?.message).toMatch(
      fires === LAYER ? /^packages\/core layer rule: / : /adapter packages only/,
    )
  })
})

// A new core folder must join the layer list (eslint.config.js coreLayers): a file no layer
// pattern matches is unclassified, and the layer rule would silently not apply to its imports.
describe('lint: every core module belongs to a layer', () => {
  it('each source file under packages/core/src matches one coreLayers pattern', async () => {
    const config = (await eslint.calculateConfigForFile(
      `${root}/packages/core/src/authenticate.ts`,
    )) as { settings?: { 'boundaries/elements'?: { type: string; pattern: string[] }[] } }
    const elements = config.settings?.['boundaries/elements'] ?? []
    const toRegex = (glob: string) =>
      new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '.*')}$`)
    const layers = elements.map(({ type, pattern }) => ({ type, match: pattern.map(toRegex) }))
    const files = readdirSync(`${root}/packages/core/src`, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !/\.test(-d)?\.ts$|\.test\.[\w-]+\.ts$/.test(file))
      .map((file) => `packages/core/src/${file}`)
    expect(files.length).toBeGreaterThan(50)
    const unclassified = files.filter(
      (file) => !layers.some((l) => l.match.some((r) => r.test(file))),
    )
    expect(unclassified).toEqual([])
  })
})
