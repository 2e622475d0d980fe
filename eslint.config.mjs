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
    // No `any` in the core and the SDK boundary (widened to all of src/ once every provider is clean).
    files: ['src/core/**/*.ts', 'src/index.ts', 'src/runtime.ts', 'src/definition.ts', 'src/interface/**/*.ts'],
    // Being rewritten by their owners in this round; drop these once they land.
    ignores: ['src/core/http.ts', 'src/core/transcript.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  }
)
