// ESLint for the whole workspace: typescript-eslint's recommended rules, and nx's module-boundary rule that holds
// the layering the README and STYLE.md describe (tags live in each project.json). Run it with `npm run lint`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Layers, bottom up. A project may import only the tags listed for it; nx also refuses import cycles.
//   domain:pure      graph, nets, data: plain TypeScript, no ML runtime, no gRPC, no storage
//   type:engine      onnx, tfjs: run networks on an ML runtime (domain:pure below them)
//   type:domain      the three above plus train, the engine-neutral training loop
//   type:contracts   the generated protobuf code and its converters (graph below it)
//   type:infra       rpc (server/client plumbing), store (SQLite): what services share
//   type:service     the five services; each one is a process and never imports another's code
//   type:test        the end-to-end suite, which may import anything
// Services start one another as child processes by the path of their built main.js, never by import.
const depConstraints = [
  {
    sourceTag: 'domain:pure',
    onlyDependOnLibsWithTags: ['domain:pure'],
    bannedExternalImports: ['@grpc/*', 'grpc-health-check', '@bufbuild/*', 'better-sqlite3', 'onnxruntime-*', 'onnx-proto', '@tensorflow/*'],
  },
  { sourceTag: 'type:engine', onlyDependOnLibsWithTags: ['domain:pure'], bannedExternalImports: ['@grpc/*', 'grpc-health-check', '@bufbuild/*', 'better-sqlite3'] },
  // train is engine-neutral: it reaches ONNX Runtime and TensorFlow.js only through the engine libraries.
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain', 'type:engine'],
    bannedExternalImports: ['@grpc/*', 'grpc-health-check', '@bufbuild/*', 'better-sqlite3', 'onnxruntime-*', 'onnx-proto', '@tensorflow/*'],
  },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['domain:pure'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:contracts', 'domain:pure'] },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:domain', 'type:engine', 'type:contracts', 'type:infra'] },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['*'] },
];

export default defineConfig(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'libs/contracts/src/gen/**', 'tmp/**', 'runs/**', '.nx/**', '.gpu*/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `const { help: _help, ...rest } = x` drops a key on purpose; a leading underscore says "unused by design".
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints, enforceBuildableLibDependency: false }],
    },
  },
  {
    // The end-to-end suite drives the orchestrator in its own process (fault injection), so it may import the
    // search application's library entry; nothing else may import an application.
    files: ['test/**'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: ['@evonorm/search'], depConstraints, enforceBuildableLibDependency: false }],
    },
  },
);
