import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', '.vigil/**', 'scratch/**', 'bench/.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // PHI must never reach a console by accident: only the CLI and test tooling print directly.
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'test/**', 'bin/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['web/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Adapters turn messages into facts; the gateway persists them. An adapter importing the store is a layering bug.
    files: ['src/adapters/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/store/**', '**/api/**', '**/core/**'] }] },
  },
  {
    files: ['src/store/**', 'src/model/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/api/**', '**/core/**', '**/controls/**', '**/gateway/**', '**/adapters/**'] }] },
  },
  {
    // The simulator is a sending system: it knows message formats and profiles, never Vigil's insides.
    files: ['src/simulator/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/store/**', '**/api/**', '**/core/**', '**/controls/**', '**/gateway/**'] }] },
  },
  {
    // Connections out know bytes and sockets, never Vigil's data.
    files: ['src/transport/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/store/**', '**/api/**', '**/core/**', '**/controls/**', '**/gateway/**', '**/adapters/**'] }] },
  },
  {
    files: ['src/core/**', 'src/controls/**', 'src/gateway/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/api/**', '**/web/**'] }] },
  },
);
