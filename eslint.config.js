// One root ESLint config. Deterministic code (workflows/, runbooks/) may import only @temporalio/workflow, pure
// modules (core/, and the input schemas in config/inputs.ts) and activity *types*: Node built-ins and I/O libraries
// are banned there, as are timers and randomness. The shared pure layer (core/) is held to the same rules and may
// import nothing of the other folders but types: every folder imports it, so it must run anywhere.
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
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
const impureGlobals = ['setTimeout', 'setInterval', 'setImmediate', 'fetch', 'process', 'require', 'Buffer'];

/** The rules of code that must run anywhere and replay alike: which modules it may import, and no clock or chance. */
function pureCode({ banned, folders, layering, why, globals, random, clock }) {
  return {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: banned.map((name) => ({ name, allowTypeImports: true, message: why })),
        patterns: [{ regex: `(^|/)(${folders})(/|$)`, allowTypeImports: true, message: layering }],
      },
    ],
    'no-restricted-globals': ['error', ...impureGlobals.map((name) => ({ name, message: globals }))],
    'no-restricted-properties': [
      'error',
      { object: 'Math', property: 'random', message: random },
      { object: 'Date', property: 'now', message: clock },
    ],
  };
}

const deterministic = pureCode({
  banned: [...nodeBuiltins, ...ioModules],
  // config/inputs.ts is pure (zod only): the runbooks carry their input schemas.
  folders: 'activities|client|worker|sandbox|bench|test|config(?!/inputs$)',
  layering:
    'deterministic code may import only the types of activities/, config/ (but its pure inputs.ts), client/, worker/ and sandbox/',
  why: 'deterministic code: do I/O in an activity (activities/) and call it through proxyActivities',
  globals: 'not deterministic: use sleep()/condition() from @temporalio/workflow, or an activity',
  random: 'use uuid4() or random values from an activity',
  clock: 'use now() from workflows/time (Temporal time)',
});

const shared = pureCode({
  banned: [...nodeBuiltins, ...ioModules, '@temporalio/workflow'],
  folders: 'activities|client|worker|sandbox|bench|test|config|workflows|runbooks',
  layering: 'core/ imports only the types of the other folders: every folder imports core/, not the reverse',
  why: 'core/ is the shared pure layer: no I/O, no Node built-ins, nothing bound to one side',
  globals: 'core/ is pure: no timers, network, process or Node globals',
  random: 'core/ is deterministic: take random values as arguments',
  clock: 'core/ is deterministic: take the time as an argument',
});

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
  { files: ['workflows/**/*.ts', 'runbooks/**/*.ts'], rules: deterministic },
  { files: ['core/**/*.ts'], rules: shared },
);
