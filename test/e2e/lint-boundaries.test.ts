/**
 * The lint rules that hold the architecture (eslint.config.mjs and the tags in every project.json):
 * source placed in a real project that imports upward or sideways is refused by nx's module-boundary
 * rule, and the imports the layering allows pass. The sources are linted in memory, so no fixture
 * file ever sits in a project's build. Needs nx's cached project graph, which every nx command writes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const RULE = '@nx/enforce-module-boundaries';

describe('module boundaries (npm run lint)', () => {
  let eslint: ESLint;
  const boundaryErrors = async (file: string, source: string): Promise<string[]> => {
    const [result] = await eslint.lintText(source, { filePath: join(root, file) });
    assert.ok(result, `no lint result for ${file}`);
    assert.deepEqual(
      result.messages.filter((m) => m.fatal),
      [],
      `${file} did not parse`,
    );
    return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
  };
  const refused = async (file: string, source: string, why: RegExp): Promise<void> => {
    const errors = await boundaryErrors(file, source);
    assert.equal(errors.length, 1, `${file}: expected one boundary error for ${JSON.stringify(source)}, got ${JSON.stringify(errors)}`);
    assert.match(errors[0]!, why);
  };

  before(() => {
    eslint = new ESLint({ cwd: root });
  });

  it('refuses contracts and rpc in the domain libraries', async () => {
    await refused('libs/data/src/lint-probe.ts', "import type { Candidate } from '@evonorm/contracts';\n", /tagged with "domain:pure" can only depend on libs tagged with "domain:pure"/);
    await refused('libs/nets/src/lint-probe.ts', "import { unary } from '@evonorm/rpc';\n", /tagged with "domain:pure" can only depend on libs tagged with "domain:pure"/);
    await refused('libs/train/src/lint-probe.ts', "import { unary } from '@evonorm/rpc';\n", /tagged with "type:domain" can only depend on libs tagged with "type:domain", "type:engine"/);
    await refused('libs/train/src/lint-probe.ts', "import type { Candidate } from '@evonorm/contracts';\n", /tagged with "type:domain" can only depend on/);
  });

  it('refuses gRPC and storage packages in the domain libraries, and ML runtimes outside the engines', async () => {
    await refused('libs/nets/src/lint-probe.ts', "import * as ort from 'onnxruntime-node';\n", /"domain:pure" is not allowed to import "onnxruntime-node"/);
    await refused('libs/graph/src/lint-probe.ts', "import * as grpc from '@grpc/grpc-js';\n", /"domain:pure" is not allowed to import "@grpc\/grpc-js"/);
    await refused('libs/train/src/lint-probe.ts', "import Database from 'better-sqlite3';\n", /"type:domain" is not allowed to import "better-sqlite3"/);
    await refused('libs/train/src/lint-probe.ts', "import * as tf from '@tensorflow/tfjs';\n", /"type:domain" is not allowed to import "@tensorflow\/tfjs"/);
  });

  it('refuses an engine importing the contracts, and any import cycle', async () => {
    await refused('libs/tfjs/src/lint-probe.ts', "import type { Candidate } from '@evonorm/contracts';\n", /tagged with "type:engine" can only depend on libs tagged with "domain:pure"/);
    await refused('libs/onnx/src/lint-probe.ts', "import { trainProxy } from '@evonorm/train';\n", /Circular dependency between "onnx" and "train"/);
    await refused('libs/graph/src/lint-probe.ts', "import type { Candidate } from '@evonorm/contracts';\n", /Circular dependency between "graph" and "contracts"/);
  });

  it('refuses a service importing another service, by package name, deep path or relative path', async () => {
    await refused('services/mutation/src/lint-probe.ts', "import { runSearch } from '@evonorm/search';\n", /Circular dependency between "mutation" and "search"/);
    await refused('services/mutation/src/lint-probe.ts', "import { trainingClient } from '@evonorm/rejection/dist/src/quality.js';\n", /Imports of apps are forbidden/);
    await refused('services/search/src/lint-probe.ts', "import { paretoFront } from '@evonorm/selection/dist/src/population.js';\n", /Imports of apps are forbidden/);
    await refused('services/mutation/src/lint-probe.ts', "import { trainingClient } from '../../rejection/src/quality.js';\n", /cannot be imported by a relative or absolute path/);
  });

  it('refuses a library importing a service', async () => {
    await refused('libs/store/src/lint-probe.ts', "import { main } from '@evonorm/mutation/dist/src/main.js';\n", /Imports of apps are forbidden/);
    await refused('libs/tfjs/src/lint-probe.ts', "import { Population } from '@evonorm/selection/dist/src/population.js';\n", /Imports of apps are forbidden/);
  });

  it('accepts what the layering allows', async () => {
    const service = [
      "import { Rng } from '@evonorm/graph';",
      "import type { Candidate } from '@evonorm/contracts';",
      "import { unary } from '@evonorm/rpc';",
      "import { SearchStore } from '@evonorm/store';",
      "import { trainProxy } from '@evonorm/train';",
      "import { emitLayer } from '@evonorm/onnx';",
      // Starting another service as a process by the path of its built entry point imports none of its code.
      "import { createRequire } from 'node:module';",
      "export const script = createRequire(import.meta.url).resolve('@evonorm/mutation/dist/src/main.js');",
    ].join('\n');
    assert.deepEqual(await boundaryErrors('services/search/src/lint-probe.ts', service), []);
    assert.deepEqual(
      await boundaryErrors(
        'libs/train/src/lint-probe.ts',
        "import { Rng } from '@evonorm/graph';\nimport { loadDataset } from '@evonorm/data';\nimport { emitNetwork } from '@evonorm/onnx';\nimport { tfjsTrainer } from '@evonorm/tfjs';\n",
      ),
      [],
    );
    assert.deepEqual(
      await boundaryErrors('libs/rpc/src/lint-probe.ts', "import type { Candidate } from '@evonorm/contracts';\nimport { Rng } from '@evonorm/graph';\nimport * as grpc from '@grpc/grpc-js';\n"),
      [],
    );
    assert.deepEqual(await boundaryErrors('test/e2e/lint-probe.ts', "import { runSearch } from '@evonorm/search';\nimport { spawnService } from '@evonorm/rpc';\n"), []);
  });
});
