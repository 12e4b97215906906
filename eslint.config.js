// One root ESLint config. Deterministic code (workflows/, runbooks/) may import only @temporalio/workflow, pure
// modules (core/, and the input schemas in config/inputs.ts) and activity *types*: Node built-ins and I/O libraries
// are banned there, as are timers and randomness. The shared pure layer (core/) is held to the same rules and may
// import nothing of the other folders but types: every folder imports it, so it must run anywhere.
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const otherFolders = ['activities', 'config', 'client', 'worker', 'sandbox', 'bench', 'test'].flatMap((d) => [
  `**/${d}`,
  `**/${d}/**`,
]);
const ioModules = [
  'ssh2',
  'zx',
  '@slack/web-api',
  'yaml',
  'zod',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

module.exports = tseslint.config(
  { ignores: ['node_modules/**', '.runway/**', 'dist/**', 'coverage/**', 'eslint.config.js', 'jest.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'runbooks/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...ioModules].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'deterministic code: do I/O in an activity (activities/) and call it through proxyActivities',
          })),
          patterns: [
            {
              regex: '(^|/)(activities|client|worker|sandbox|bench|test)(/|$)|(^|/)config(/(?!inputs$)|$)',
              allowTypeImports: true,
              message:
                'deterministic code may import only the types of activities/, config/ (but its pure inputs.ts), client/, worker/ and sandbox/',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'fetch', 'process', 'require', 'Buffer'].map((name) => ({
          name,
          message: 'not deterministic: use sleep()/condition() from @temporalio/workflow, or an activity',
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use uuid4() or random values from an activity' },
        { object: 'Date', property: 'now', message: 'use now() from workflows/time (Temporal time)' },
      ],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...ioModules, '@temporalio/workflow'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'core/ is the shared pure layer: no I/O, no Node built-ins, nothing bound to one side',
          })),
          patterns: [
            {
              group: [...otherFolders, '**/workflows', '**/workflows/**', '**/runbooks', '**/runbooks/**'],
              allowTypeImports: true,
              message: 'core/ imports only the types of the other folders: every folder imports core/, not the reverse',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'fetch', 'process', 'require', 'Buffer'].map((name) => ({
          name,
          message: 'core/ is pure: no timers, network, process or Node globals',
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'core/ is deterministic: take random values as arguments' },
        { object: 'Date', property: 'now', message: 'core/ is deterministic: take the time as an argument' },
      ],
    },
  },
);
