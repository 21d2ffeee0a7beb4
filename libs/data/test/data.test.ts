import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Rng } from '@evonorm/graph';
import { DatasetError, FASHION_MNIST_DIR, batches, downsampled, makeBatch, readCifar10, readFashionMnist, readIdx, syntheticDataset, trainValidationSplit, type Dataset } from '../src/index.js';

/** A CIFAR-10 binary batch: label byte then 3072 pixel bytes per record; pixel = f(record, offset). */
function cifarBatch(records: number, first: number): Buffer {
  const bytes = Buffer.alloc(records * 3073);
  for (let n = 0; n < records; n++) {
    bytes[n * 3073] = (first + n) % 10;
    for (let i = 0; i < 3072; i++) bytes[n * 3073 + 1 + i] = (first + n + i) % 256;
  }
  return bytes;
}

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(data)]));
}

function fashionDir(train = 12, test = 5): string {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
  for (const [prefix, n] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    writeFileSync(
      join(dir, `${prefix}-images-idx3-ubyte.gz`),
      idx(
        2051,
        [n, 28, 28],
        Uint8Array.from({ length: n * 784 }, (_, i) => i % 251),
      ),
    );
    writeFileSync(
      join(dir, `${prefix}-labels-idx1-ubyte.gz`),
      idx(
        2049,
        [n],
        Uint8Array.from({ length: n }, (_, i) => i % 10),
      ),
    );
  }
  return dir;
}

describe('CIFAR-10 reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), cifarBatch(4, 10 * b));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(3, 100));

  it('reads labels and CHW pixels of every batch', () => {
    const d = readCifar10(dir);
    assert.deepEqual([d.train.count, d.test.count, d.classes], [20, 3, 10]);
    assert.deepEqual(d.shape, [3, 32, 32]);
    assert.equal(d.train.labels[0], 0); // first = 10
    assert.equal(d.train.labels[5], (20 + 1) % 10);
    assert.equal(d.train.images[3072 * 5 + 1024 + 7], (20 + 1 + 1024 + 7) % 256); // green plane
    assert.equal(d.test.images[2 * 3072 + 3071], (102 + 3071) % 256);
  });

  it('explains a missing directory, a truncated file and a bad label', () => {
    assert.throws(
      () => readCifar10('/no/such/dir'),
      (e: unknown) => e instanceof DatasetError && /CIFAR-10 directory not found/.test(e.message),
    );
    const broken = mkdtempSync(join(tmpdir(), 'cifar-'));
    writeFileSync(join(broken, 'data_batch_1.bin'), cifarBatch(2, 0).subarray(0, 5000));
    assert.throws(() => readCifar10(broken, { trainBatches: 1 }), /truncated or not in the binary format: 5000 bytes/);
    const missing = mkdtempSync(join(tmpdir(), 'cifar-'));
    writeFileSync(join(missing, 'data_batch_1.bin'), cifarBatch(1, 0));
    assert.throws(() => readCifar10(missing, { trainBatches: 1 }), /test_batch\.bin does not exist/);
    const badLabel = cifarBatch(1, 0);
    badLabel[0] = 42;
    writeFileSync(join(missing, 'test_batch.bin'), badLabel);
    assert.throws(() => readCifar10(missing, { trainBatches: 1 }), /label 42, not 0\.\.9/);
  });
});

describe('Fashion-MNIST reader', () => {
  it('reads gzipped IDX images and labels', () => {
    const d = readFashionMnist(fashionDir());
    assert.deepEqual([d.train.count, d.test.count], [12, 5]);
    assert.deepEqual(d.shape, [1, 28, 28]);
    assert.equal(d.train.images[784 * 3 + 5], (784 * 3 + 5) % 251);
    assert.equal(d.test.labels[4], 4);
  });

  it('explains a missing install, a wrong magic number and a truncated file', () => {
    assert.throws(() => readFashionMnist('/no/such/dir'), /install it with: sudo apt-get install dataset-fashion-mnist/);
    const dir = fashionDir();
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idx(2051, [12], new Uint8Array(12)));
    assert.throws(() => readFashionMnist(dir), /magic number 2051, expected 2049 \(labels\)/);
    const truncated = join(dir, 'cut.gz');
    writeFileSync(truncated, idx(2051, [3, 28, 28], new Uint8Array(100)));
    assert.throws(() => readIdx(truncated, 2051), /truncated: 100 data bytes, dims \[3,28,28\] need 2352/);
    writeFileSync(truncated, gzipSync(Buffer.alloc(5000)).subarray(0, 30));
    assert.throws(() => readIdx(truncated, 2051), /truncated or corrupt gzip/);
  });

  it("reads the real dataset when Debian's package is installed", { skip: !existsSync(FASHION_MNIST_DIR) && 'dataset-fashion-mnist is not installed' }, () => {
    const d = readFashionMnist();
    assert.deepEqual([d.train.count, d.test.count], [60000, 10000]);
    assert.ok(Math.abs(d.mean[0]! - 72.94) < 0.1, `mean ${d.mean[0]}`);
    const counts = new Array<number>(10).fill(0);
    for (const l of d.train.labels) counts[l]!++;
    assert.deepEqual(counts, new Array(10).fill(6000));
  });
});

describe('splits, batches and augmentation', () => {
  const data: Dataset = syntheticDataset({ seed: 3, shape: [3, 8, 8], train: 200, test: 50 });

  it('splits train/validation deterministically for a seed, without overlap', () => {
    const a = trainValidationSplit(data, 40, Rng.fromSeed(1));
    const b = trainValidationSplit(data, 40, Rng.fromSeed(1));
    assert.deepEqual(a.validation.images, b.validation.images);
    assert.deepEqual([a.train.count, a.validation.count], [160, 40]);
    assert.notDeepEqual(trainValidationSplit(data, 40, Rng.fromSeed(2)).validation.labels, a.validation.labels);
    assert.throws(() => trainValidationSplit(data, 200, Rng.fromSeed(1)), /validation size/);
  });

  it('normalizes batches to zero mean and unit variance per channel', () => {
    const all = makeBatch(
      data,
      data.train,
      Array.from({ length: 200 }, (_, i) => i),
    );
    for (let ch = 0; ch < 3; ch++) {
      let sum = 0;
      let sq = 0;
      for (let n = 0; n < 200; n++)
        for (let i = 0; i < 64; i++) {
          const v = all.images[(n * 3 + ch) * 64 + i]!;
          sum += v;
          sq += v * v;
        }
      assert.ok(Math.abs(sum / 12800) < 1e-4);
      assert.ok(Math.abs(sq / 12800 - 1) < 1e-3);
    }
  });

  it('augments by a random crop of the zero-padded image and a horizontal flip', () => {
    // One example, so every augmented pixel is either a shifted, maybe mirrored pixel or padding.
    const plain = makeBatch(data, data.train, [0]).images;
    const padding = (0 - data.mean[0]!) / data.std[0]!;
    const rng = Rng.fromSeed(9);
    let flips = 0;
    for (let t = 0; t < 50; t++) {
      const aug = makeBatch(data, data.train, [0], { augment: { pad: 2, flip: true }, rng }).images;
      let matched = false;
      for (const flip of [false, true]) {
        for (let dy = -2; dy <= 2 && !matched; dy++)
          for (let dx = -2; dx <= 2 && !matched; dx++) {
            let ok = true;
            for (let y = 0; y < 8 && ok; y++)
              for (let x = 0; x < 8 && ok; x++) {
                const sx = (flip ? 7 - x : x) + dx;
                const sy = y + dy;
                const expected = sy < 0 || sy > 7 || sx < 0 || sx > 7 ? padding : plain[sy * 8 + sx]!;
                ok = Math.abs(aug[y * 8 + x]! - expected) < 1e-6;
              }
            if (ok) {
              matched = true;
              if (flip) flips++;
            }
          }
      }
      assert.ok(matched, `augmented image ${t} is no crop/flip of the original`);
    }
    assert.ok(flips > 10 && flips < 40, `${flips} flips in 50`);
  });

  it('iterates shuffled batches deterministically, covering every example each epoch', () => {
    const seen = new Map<number, number>();
    const it = batches(data, data.test, 10, Rng.fromSeed(4));
    for (let k = 0; k < 5; k++) {
      const b = it.next().value;
      assert.equal(b.size, 10);
      for (const l of b.labels) seen.set(l, (seen.get(l) ?? 0) + 1);
    }
    const counts = new Array<number>(10).fill(0);
    for (const l of data.test.labels) counts[l]!++;
    counts.forEach((c, label) => assert.equal(seen.get(label) ?? 0, c));
    const again = batches(data, data.test, 10, Rng.fromSeed(4)).next().value;
    assert.deepEqual(again.images, batches(data, data.test, 10, Rng.fromSeed(4)).next().value.images);
    assert.throws(() => batches(data, data.test, 0, Rng.fromSeed(1)).next(), /batch size/);
  });

  it('makes a synthetic dataset that a nearest-centroid classifier learns', () => {
    const d = syntheticDataset({ seed: 1, shape: [3, 16, 16], train: 500, test: 200 });
    const size = 3 * 256;
    const centroids = Array.from({ length: 10 }, () => new Float64Array(size));
    const counts = new Array<number>(10).fill(0);
    for (let n = 0; n < 500; n++) {
      const l = d.train.labels[n]!;
      counts[l]!++;
      for (let i = 0; i < size; i++) centroids[l]![i]! += d.train.images[n * size + i]!;
    }
    centroids.forEach((c, l) => c.forEach((v, i) => (c[i] = v / Math.max(1, counts[l]!))));
    let correct = 0;
    for (let n = 0; n < 200; n++) {
      let best = -1;
      let bestDist = Infinity;
      centroids.forEach((c, l) => {
        let dist = 0;
        for (let i = 0; i < size; i++) dist += (d.test.images[n * size + i]! - c[i]!) ** 2;
        if (dist < bestDist) [best, bestDist] = [l, dist];
      });
      if (best === d.test.labels[n]) correct++;
    }
    assert.ok(correct / 200 > 0.8, `nearest-centroid accuracy ${correct / 200}`);
    assert.deepEqual(syntheticDataset({ seed: 1, shape: [3, 16, 16], train: 500, test: 200 }).train.images, d.train.images);
  });
});

describe('downsampled datasets (area averaging)', () => {
  // 1 channel, 4×4 images: pixel (n, y, x) = 16n + 4y + x, so every 2×2 block's mean is a closed form.
  const tiny = (): Dataset => {
    const images = Uint8Array.from({ length: 3 * 16 }, (_, i) => i);
    const split = { images, labels: Uint8Array.from([0, 1, 2]), count: 3 };
    return { name: 'tiny', shape: [1, 4, 4], classes: 3, train: split, test: split, mean: [0], std: [1] };
  };

  it('averages each factor × factor block, rounds to bytes and recomputes the statistics', () => {
    const small = downsampled(tiny(), 2);
    assert.deepEqual(small.shape, [1, 2, 2]);
    assert.equal(small.name, 'tiny@2x2');
    // Block (Y, X) of image n: mean of 16n + 4(2Y + dy) + 2X + dx = 16n + 8Y + 2X + 2.5, rounded half up.
    const expected = [0, 1, 2].flatMap((n) => [0, 1].flatMap((y) => [0, 1].map((x) => Math.round(16 * n + 8 * y + 2 * x + 2.5))));
    assert.deepEqual([...small.train.images], expected);
    assert.deepEqual([...small.train.labels], [0, 1, 2]);
    const mean = expected.reduce((s, v) => s + v, 0) / expected.length;
    assert.ok(Math.abs(small.mean[0]! - mean) < 1e-9);
    assert.ok(Math.abs(small.std[0]! - Math.sqrt(expected.reduce((s, v) => s + (v - mean) ** 2, 0) / expected.length)) < 1e-6);
    const one = downsampled(tiny(), 4);
    assert.deepEqual([...one.train.images], [8, 24, 40], 'the whole image: 16n + 7.5');
  });

  it('is the dataset itself at factor 1, and refuses factors that do not divide the images', () => {
    const d = tiny();
    assert.equal(downsampled(d, 1), d);
    assert.throws(() => downsampled(d, 3), /tiny's 4×4 images do not divide by 3/);
    assert.throws(() => downsampled(d, 0), DatasetError);
  });

  it('keeps a real dataset learnable: synthetic 16×16 halves to 8×8 with the same labels', () => {
    const d = syntheticDataset({ seed: 3, shape: [1, 16, 16], train: 40, test: 10 });
    const small = downsampled(d, 2);
    assert.deepEqual(small.shape, [1, 8, 8]);
    assert.equal(small.train.images.length, 40 * 64);
    assert.deepEqual(small.test.labels, d.test.labels);
  });
});
