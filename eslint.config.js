// One lint config for the whole monorepo; the core block below is what keeps @tokengate/core neutral.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import boundaries from 'eslint-plugin-boundaries'

const neutralImports = {
  patterns: [
    {
      group: ['node:*'],
      message: 'packages/core is runtime-neutral: node:* only in *.node.ts files.',
    },
    {
      group: [
        'express',
        'express/*',
        'koa',
        'koa/*',
        'hono',
        'hono/*',
        '@hono/*',
        '@koa/*',
        'fastify',
        'fastify-plugin',
        'passport',
        'passport-strategy',
      ],
      message: 'packages/core is framework-neutral: framework code belongs in an adapter.',
    },
  ],
  paths: [
    'fs',
    'path',
    'crypto',
    'http',
    'https',
    'buffer',
    'util',
    'os',
    'stream',
    'events',
    'url',
  ].map((name) => ({
    name,
    message: 'packages/core is runtime-neutral: use Web APIs or a *.node.ts file.',
  })),
}

// The layer rule of packages/core/src (docs/ARCHITECTURE.md, "The import rule"): a module imports
// only from its own folder and from the layers listed before it, so the pipeline reads bottom-up
// and there is no cycle between concerns. eslint-plugin-boundaries resolves every relative import
// (through eslint-import-resolver-typescript, so `./x.js` finds `x.ts`) and classifies both ends.
const CORE = 'packages/core/src'
const coreLayers = [
  ['util', [`${CORE}/util/**`]],
  // The JWA registry imports nothing; types.ts derives the algorithm-name types from it.
  ['registry', [`${CORE}/keys/algorithms.ts`]],
  ['base', [`${CORE}/types.ts`, `${CORE}/errors.ts`, `${CORE}/events.ts`]],
  ['keys', [`${CORE}/keys/**`]],
  ['token', [`${CORE}/token/**`]],
  ['request', [`${CORE}/request/**`]],
  ['dpop', [`${CORE}/dpop/**`]],
  // Certificate-bound tokens (RFC 8705): reads request headers, like dpop/.
  ['binding', [`${CORE}/binding/**`]],
  ['policy', [`${CORE}/policy/**`]],
  ['introspection', [`${CORE}/introspection/**`]],
  ['issuing', [`${CORE}/issuing/**`]],
  // Decision events and explain mode (issue 16): read every layer's results, feed authenticate.ts.
  ['observe', [`${CORE}/observe/**`]],
  ['entry', [`${CORE}/options.ts`, `${CORE}/authenticate.ts`]],
  ['adapter', [`${CORE}/adapter/**`]],
  ['barrel', [`${CORE}/index.ts`]],
]
const layerNames = coreLayers.map(([name]) => name)
const layerPolicies = layerNames.slice(0, -1).map((name, i) => ({
  from: { element: { type: name } },
  disallow: { to: { element: { types: { anyOf: layerNames.slice(i + 1) } } } },
  message: `packages/core layer rule: ${name} may import only from its own folder${i ? ` and from ${layerNames.slice(0, i).join(', ')}` : ''}, never from ${layerNames.slice(i + 1).join(', ')} (docs/ARCHITECTURE.md, "The import rule").`,
}))

// The adapter subpath is for adapter packages only: an app (examples/*) or a core module below
// adapter/ that imports it would depend on internals that are not the public API.
const noAdapterSubpath = {
  name: '@tokengate/core/adapter',
  message:
    '@tokengate/core/adapter is for adapter packages only: apps and core modules below adapter/ use the public API.',
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      'bench/results/**',
      '**/artifacts/**',
      '**/.wrangler/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        Headers: 'readonly',
        Request: 'readonly',
        Response: 'readonly',
        fetch: 'readonly',
        crypto: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        atob: 'readonly',
        btoa: 'readonly',
        document: 'readonly',
        window: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // The neutrality rule (docs/ARCHITECTURE.md, "The import rule"): no node:*, no framework, no Buffer, no process.env.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.node.ts', 'packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { ...neutralImports, paths: [...neutralImports.paths, noAdapterSubpath] },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'packages/core is runtime-neutral: use Uint8Array.' },
        { name: 'process', message: 'packages/core never reads process or process.env.' },
        { name: 'require', message: 'packages/core is ESM.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'packages/core never reads process.env: take configuration as options.',
        },
      ],
    },
  },
  {
    // The scratch CommonJS app of test/packed: require() is the point of it.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: [`${CORE}/**/*.ts`],
    ignores: [`${CORE}/**/*.test.ts`, `${CORE}/**/*.test-d.ts`],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: 'packages/core/tsconfig.json' } },
      // mode 'full': patterns match whole paths, so root files (types.ts, options.ts, index.ts) are
      // layers of their own. v7 marks `mode` legacy but its replacement (`partialMatch: false`)
      // classifies folders only and silently leaves those files out (test/lint/layers.test.ts).
      'boundaries/elements': coreLayers.map(([type, pattern]) => ({ type, pattern, mode: 'full' })),
      'boundaries/legacy-warnings': false,
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'allow', policies: layerPolicies }],
    },
  },
  {
    // App-facing code never sees the adapter subpath. (Core modules below adapter/ are covered by
    // the layer rule above when they import adapter/ relatively, and by this rule by name.)
    files: ['examples/**/*.{ts,tsx,js,mjs}'],
    rules: { 'no-restricted-imports': ['error', { paths: [noAdapterSubpath] }] },
  },
)
