import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import reactRefresh from 'eslint-plugin-react-refresh';
import tseslint from 'typescript-eslint';

/**
 * The layers, downward only: each folder of src/ may import the folders listed for it, nothing
 * above. common/ (plain types) and config/ (settings) at the bottom; data/, kernels/ and model/
 * (no DOM, no React); storage/ and browser/ (IndexedDB, downloads); history/ (run records);
 * worker/ (the training thread); session/ (the main thread's store and its reducers); ui/ (React);
 * offline/ (the service worker and its registration) imports nothing, so that the service worker
 * shares no chunk with the page.
 * No product folder imports the harnesses (harness/) or the test fixtures (test/).
 */
const LAYERS = {
  common: [],
  config: ['common'],
  data: ['common', 'config'],
  kernels: ['common', 'config'],
  model: ['common', 'config', 'data', 'kernels'],
  storage: ['common', 'config'],
  browser: ['common'],
  history: ['common', 'config', 'data', 'model', 'storage'],
  worker: ['common', 'config', 'data', 'kernels', 'model', 'storage'],
  session: ['common', 'config', 'data', 'model', 'storage', 'browser', 'history', 'worker'],
  ui: ['common', 'config', 'data', 'model', 'storage', 'browser', 'history', 'worker', 'session'],
  offline: [],
};
const FOLDERS = [...Object.keys(LAYERS), 'harness', 'test'];

/**
 * The folders whose code runs on the main thread: they may import TensorFlow.js, the kernels
 * and the model modules that build or train networks for their types only, so that the page
 * loads no TF.js (scripts/checkEntrySize.mjs checks the build).
 */
const MAIN_THREAD = [
  'common',
  'config',
  'data',
  'storage',
  'browser',
  'history',
  'session',
  'ui',
  'offline',
];
const TF_MODULES =
  '(^|/)(kernels/|model/(alexnet|kernelTrial|lrn|preflight|speedProbe|training)\\.ts$)';

function layerRules(folder) {
  const forbidden = FOLDERS.filter((other) => other !== folder && !LAYERS[folder].includes(other));
  const patterns = [
    {
      regex: `(^|/)(${forbidden.join('|')})/`,
      message: `src/${folder}/ may import only ${LAYERS[folder].map((f) => f + '/').join(', ') || 'nothing'} (the layers, eslint.config.js).`,
    },
  ];
  if (MAIN_THREAD.includes(folder)) {
    patterns.push(
      {
        group: ['@tensorflow/*'],
        allowTypeImports: true,
        message: 'Main-thread code loads no TensorFlow.js: import its types only.',
      },
      {
        regex: TF_MODULES,
        allowTypeImports: true,
        message: 'This module imports TensorFlow.js; the main thread may import its types only.',
      },
    );
  }
  return {
    files: [`src/${folder}/**/*.{ts,tsx}`],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-harness',
      'node_modules',
      'test-results',
      'playwright-report',
      'bench-results',
      'public/data',
      '*.tmp.mjs',
    ],
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks, 'react-refresh': reactRefresh },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'react-refresh/only-export-components': ['warn', { allowConstantExport: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  ...Object.keys(LAYERS).map(layerRules),
  {
    files: [
      'vite.config.ts',
      'vite.harness.config.ts',
      'test/**',
      'vitest.config.ts',
      'playwright.config.ts',
      'vite-plugins/**',
      'e2e/**',
      'scripts/**',
      '**/*.test.ts',
    ],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['scripts/**/*.{js,mjs}', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
);
