import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', '.botpress/', 'coverage/', 'test-artifacts/', '.stryker-tmp/', 'reports/', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='console'][callee.property.name=/^(log|info|debug)$/] > Identifier[name=/secret|token|password|apiKey/i]",
          message: 'Never log secrets.',
        },
      ],
    },
  },
  {
    // Layering: the core knows no provider, not even the registry. Every form of the import is caught: relative
    // ('../providers', '../providers/x', '../../src/providers/x/y'), aliased or absolute ('**/providers').
    files: ['src/core/**/*.ts', 'src/interface/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)providers(/|$)',
              message: 'The core must not import providers or their registry: src/runtime.ts composes them and hands the core the active provider.',
            },
          ],
        },
      ],
    },
  },
  {
    // No `any` anywhere in the shipped code: types come from the SDK, the schemas and the contract in src/core/types.ts.
    files: ['src/**/*.ts', 'integration.definition.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  }
)
