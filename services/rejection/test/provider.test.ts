import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkExecutionProvider } from '@evonorm/train';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

describe('rejection service execution provider (its stability test)', () => {
  it('asked for CUDA it cannot load, exits 2 at start with what is missing and tools/setup-cuda.sh', async (t) => {
    const cudaHere = await checkExecutionProvider('cuda').then(
      () => true,
      () => false,
    );
    if (cudaHere) return t.skip('this machine has a working CUDA provider');
    const run = spawnSync(process.execPath, [MAIN, '--port', '0', '--dataset', 'synthetic', '--ep', 'cuda'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.doesNotMatch(run.stdout, /listening/);
    assert.match(run.stderr, /rejection: --ep cuda --device 0: ONNX Runtime's CUDA execution provider could not be used/);
    assert.match(run.stderr, /tools\/setup-cuda\.sh/);
  });
});
