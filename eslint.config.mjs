import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', '.botpress/', 'coverage/', 'test-artifacts/', '**/*.cjs', '**/*.mjs'] },
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
    // The core must not know any provider: providers live in src/providers/<name>/ only.
    files: ['src/core/**/*.ts', 'src/index.ts', 'src/interface/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/providers/*/**', '../providers/*'], message: 'The core must not import a specific provider.' }] }],
    },
  }
)
