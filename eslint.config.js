// One lint config for the whole monorepo; the core block below is what keeps @tokengate/core neutral.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const neutralImports = {
  patterns: [
    {
      group: ['node:*'],
      message: 'packages/core is runtime-neutral: node:* only in *.node.ts files.',
    },
    {
      group: ['express', 'express/*', 'koa', 'koa/*', 'hono', 'hono/*', '@hono/*', '@koa/*'],
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
    // The neutrality rule (STYLE.md habit 1): no node:*, no framework, no Buffer, no process.env.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.node.ts', 'packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', neutralImports],
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
)
