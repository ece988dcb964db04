// Drift (issue 13 item 9): every repository path a comment or a document cites exists, so a
// rename or a removal cannot leave a reader looking for a file that is gone (design notes kept
// outside the repository are not cited at all). Paths are read in comments of source files and
// anywhere in Markdown; a core module named from its folder (`dpop/index.ts`) counts as well.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const tracked = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.js', '*.sh', '*.md'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => file !== '' && !file.endsWith('CHANGELOG.md'))

const repoPath =
  /(?<![\w./-])((?:packages|docs|test|bench|scripts|examples|\.ci)\/[\w./@-]*[\w-]\.(?:ts|md|mjs|js|cjs|json|sh|yaml))\b/g
const coreFolders =
  'util|keys|token|request|dpop|binding|policy|introspection|issuing|observe|adapter'
const corePath = new RegExp(`(?<![\\w./-])((?:${coreFolders})/[\\w.-]*[\\w-]\\.ts)\\b`, 'g')

/** The commented text of a source file (line and block comments); a Markdown file as it is. */
function citingText(file: string, text: string): string {
  if (file.endsWith('.md')) return text
  const comments = text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|^\s*#[^\n]*/gm) ?? []
  return comments.join('\n')
}

function missing(): string[] {
  const out = new Set<string>()
  for (const file of tracked) {
    const text = citingText(file, readFileSync(join(root, file), 'utf8'))
    const here = dirname(file)
    for (const [, cited] of text.matchAll(repoPath)) {
      // A README may name a path inside its own package (examples/mcp/README.md names its own test/).
      if (!existsSync(join(root, cited!)) && !existsSync(join(root, here, cited!)))
        out.add(`${file}: ${cited}`)
    }
    if (!file.startsWith('packages/core/') && file !== 'docs/ARCHITECTURE.md') continue
    for (const [, cited] of text.matchAll(corePath)) {
      if (
        !existsSync(join(root, 'packages/core/src', cited!)) &&
        !existsSync(join(root, here, cited!))
      )
        out.add(`${file}: ${cited} (packages/core/src)`)
    }
  }
  return [...out].sort()
}

describe('cited repository paths', () => {
  it('reads the files that cite paths (the check is not vacuous)', () => {
    expect(tracked.length).toBeGreaterThan(100)
    const cites = tracked.filter((file) =>
      citingText(file, readFileSync(join(root, file), 'utf8')).match(repoPath),
    )
    expect(cites.length).toBeGreaterThan(20)
  })

  it('every cited path exists', () => {
    expect(missing()).toEqual([])
  })
})
