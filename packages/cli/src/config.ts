// Loads the authenticator options from a config module, as the app itself would build them.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AuthenticatorOptions } from '@tokengate/core'
import { UsageError } from './io.js'

/**
 * Imports `file` (ESM or CommonJS) and returns its options: the default export (or
 * `module.exports`), either the options object or a function (sync or async) returning it.
 */
export async function loadConfig(file: string, cwd: string): Promise<AuthenticatorOptions> {
  const path = resolve(cwd, file)
  if (!existsSync(path)) throw new UsageError(`--config ${file}: no such file (${path})`)
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const hint = /\.[mc]?ts$/.test(path)
      ? ' (a TypeScript config needs a Node that runs TypeScript, or `node --import tsx`; or write it as .mjs/.cjs)'
      : ''
    throw new ConfigError(`--config ${file} could not be loaded: ${message}${hint}`)
  }
  let value: unknown = 'default' in mod ? mod.default : mod
  // A CommonJS module compiled from ESM: module.exports = { __esModule: true, default: ... }.
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { __esModule?: unknown }).__esModule === true &&
    'default' in value
  )
    value = (value as { default: unknown }).default
  if (typeof value === 'function') value = await (value as () => unknown)()
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(
      `--config ${file} must export (as default, or module.exports) the authenticator options, or a function returning them`,
    )
  return value as AuthenticatorOptions
}

/** The config module exists but is not usable: reported as a failed check (exit 1). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}
