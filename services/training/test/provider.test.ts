import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkExecutionProvider } from '@evonorm/train';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

describe('training replica execution provider', () => {
  it('asked for CUDA it cannot load, exits 2 at start with what is missing and tools/setup-cuda.sh', async (t) => {
    const cudaHere = await checkExecutionProvider('cuda').then(
      () => true,
      () => false,
    );
    if (cudaHere) return t.skip('this machine has a working CUDA provider');
    const run = spawnSync(process.execPath, [MAIN, '--port', '0', '--ep', 'cuda', '--device', '1'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.doesNotMatch(run.stdout, /listening/, 'it never starts serving');
    assert.match(run.stderr, /training: --ep cuda --device 1: ONNX Runtime's CUDA execution provider could not be used/);
    assert.match(run.stderr, /missing next to onnxruntime_binding\.node .*libonnxruntime_providers_cuda\.so/);
    assert.match(run.stderr, /tools\/setup-cuda\.sh/);
  });

  it('rejects an unknown provider by name', () => {
    const run = spawnSync(process.execPath, [MAIN, '--port', '0', '--ep', 'rocm'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--ep/);
    assert.match(run.stderr, /cpu/);
  });
});
