// One root ESLint config. Deterministic code (workflows/, runbooks/) may import only @temporalio/workflow, pure
// modules and activity *types*: Node built-ins and I/O libraries are banned there, as are timers and randomness.
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioModules = ['ssh2', 'zx', '@slack/web-api', 'yaml', 'zod', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'];

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
            message: 'deterministic code: do I/O in an activity (activities/) and call it through proxyActivities',
          })),
          patterns: [
            {
              group: ['**/activities', '**/activities/**', '**/config', '**/config/**', '**/client/**', '**/worker/**'],
              allowTypeImports: true,
              message: 'deterministic code may import only the types of activities/, config/, client/ and worker/',
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
);
