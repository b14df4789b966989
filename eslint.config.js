// ESLint flat config: typescript-eslint's recommended rules over all of the
// project's code (src, jobs, workers, dashboard, bench, scripts, bin, test).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'native/*/build/',
      // Fixture repositories contain odd code on purpose; the helper modules
      // directly in test/fixtures/ (repoHelpers.ts) are real code and linted.
      'test/fixtures/*/',
      '.data/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs,ts,mts}'],
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      // The code names deliberately unused parameters and bindings with a
      // leading `_` (Express's 4-argument error handler, port methods that
      // ignore an argument, destructuring to drop a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
        },
      ],
    },
  },
);
