// The navigation of the user docs (issue 15 item 6): every in-page link (`#anchor`) of the core
// README's contents and options table, the recipes, the migration guides and the testing README
// lands on a heading, and every relative link names a file that exists.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pages = [
  'packages/core/README.md',
  'packages/testing/README.md',
  'docs/recipes.md',
  'docs/migrate/express-jwt.md',
  'docs/migrate/koa-jwt.md',
  'docs/migrate/hono-jwt.md',
]

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = fenced ? undefined : /^#{1,6} (.+)$/.exec(line)?.[1]
    if (heading !== undefined)
      out.add(
        heading
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, '')
          .replace(/ /g, '-'),
      )
  }
  return out
}

describe.each(pages)('%s', (page) => {
  const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '')
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)

  it('has links, and every #anchor lands on a heading of its page', () => {
    expect(links.length).toBeGreaterThan(0)
    const own = anchors(readFileSync(join(root, page), 'utf8'))
    const missing = links.filter((l) => l.startsWith('#') && !own.has(l.slice(1)))
    expect(missing).toEqual([])
  })

  it('every relative link names an existing file (and heading)', () => {
    const missing = links
      .filter((l) => !l.startsWith('#') && !/^[a-z]+:/.test(l))
      .filter((l) => {
        const [file, anchor] = l.split('#') as [string, string | undefined]
        const target = join(root, dirname(page), file)
        if (!existsSync(target)) return true
        return anchor !== undefined && !anchors(readFileSync(target, 'utf8')).has(anchor)
      })
    expect(missing).toEqual([])
  })
})

it('the core README lists every section (##) in its Contents', () => {
  const readme = readFileSync(join(root, 'packages/core/README.md'), 'utf8')
  const contents = readme.slice(
    readme.indexOf('## Contents'),
    readme.indexOf('\n## ', readme.indexOf('## Contents') + 1),
  )
  const sections = [...readme.replace(/```[\s\S]*?```/g, '').matchAll(/^## (.+)$/gm)]
    .map((m) => m[1]!)
    .filter((h) => h !== 'Contents')
  const listed = [...anchors(readme)].filter((a) => contents.includes(`(#${a})`))
  const missing = sections.filter((h) => !listed.includes([...anchors(`## ${h}`)][0]!))
  // A new section: add a line for it to the Contents at the top of packages/core/README.md.
  expect(missing).toEqual([])
})
