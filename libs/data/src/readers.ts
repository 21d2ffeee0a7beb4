/**
 * Readers for CIFAR-10 (the standard binary version: data_batch_1..5.bin, test_batch.bin) and
 * Fashion-MNIST (gzipped IDX files, as Debian's dataset-fashion-mnist installs them).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError, channelStatistics, type Dataset, type Split } from './dataset.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_INSTALL = 'sudo apt-get install dataset-fashion-mnist';

const CIFAR_RECORD = 1 + 3 * 32 * 32;

function readFile(path: string, what: string, fix: string): Buffer {
  if (!existsSync(path)) throw new DatasetError(`${what} not found: ${path} does not exist; ${fix}`);
  if (!statSync(path).isFile()) throw new DatasetError(`${what}: ${path} is not a file; ${fix}`);
  return readFileSync(path);
}

function readCifarFile(path: string): Split {
  const fix = 'expected the binary version of CIFAR-10 (cifar-10-batches-bin)';
  const bytes = readFile(path, 'CIFAR-10 batch', fix);
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
    throw new DatasetError(`CIFAR-10 batch ${path} is truncated or not in the binary format: ${bytes.length} bytes is not a multiple of the ${CIFAR_RECORD}-byte record; ${fix}`);
  }
  const count = bytes.length / CIFAR_RECORD;
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = bytes[n * CIFAR_RECORD]!;
    if (label > 9) throw new DatasetError(`CIFAR-10 batch ${path}: record ${n} has label ${label}, not 0..9; ${fix}`);
    labels[n] = label;
    // Each record is the label then 1024 red, 1024 green, 1024 blue bytes: already CHW.
    images.set(bytes.subarray(n * CIFAR_RECORD + 1, (n + 1) * CIFAR_RECORD), n * 3072);
  }
  return { images, labels, count };
}

function concat(splits: readonly Split[], size: number): Split {
  const count = splits.reduce((s, x) => s + x.count, 0);
  const images = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of splits) {
    images.set(s.images, at * size);
    labels.set(s.labels, at);
    at += s.count;
  }
  return { images, labels, count };
}

/** CIFAR-10 from a directory holding data_batch_1.bin .. data_batch_5.bin and test_batch.bin. */
export function readCifar10(dir: string, options: { trainBatches?: number } = {}): Dataset {
  if (!existsSync(dir)) {
    throw new DatasetError(`CIFAR-10 directory not found: ${dir}; pass the folder that holds data_batch_1.bin .. test_batch.bin`);
  }
  const batches = options.trainBatches ?? 5;
  const train = concat(
    Array.from({ length: batches }, (_, i) => readCifarFile(join(dir, `data_batch_${i + 1}.bin`))),
    3072,
  );
  const test = readCifarFile(join(dir, 'test_batch.bin'));
  const shape = [3, 32, 32] as const;
  return { name: 'cifar10', shape, classes: 10, train, test, ...channelStatistics(train, shape) };
}

function gunzipped(path: string, what: string): Buffer {
  const bytes = readFile(path, what, `install Fashion-MNIST with: ${FASHION_MNIST_INSTALL}, or pass its folder`);
  try {
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  } catch (error) {
    throw new DatasetError(`${path} is a truncated or corrupt gzip file (${(error as Error).message})`);
  }
}

/** Reads an IDX file of unsigned bytes with the given magic number (2051 images, 2049 labels). */
export function readIdx(path: string, magic: number): { dims: number[]; data: Uint8Array } {
  const bytes = gunzipped(path, 'IDX file');
  if (bytes.length < 8) throw new DatasetError(`IDX file ${path} is truncated: ${bytes.length} bytes`);
  const found = bytes.readUInt32BE(0);
  if (found !== magic) {
    throw new DatasetError(`IDX file ${path} has magic number ${found}, expected ${magic} (${magic === 2051 ? 'images' : 'labels'})`);
  }
  const rank = found & 0xff;
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new DatasetError(`IDX file ${path} is truncated in its header`);
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) {
    throw new DatasetError(`IDX file ${path} is truncated: ${bytes.length - header} data bytes, dims [${dims}] need ${size}`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, size) };
}

function readFashionSplit(dir: string, prefix: string): Split {
  const images = readIdx(join(dir, `${prefix}-images-idx3-ubyte.gz`), 2051);
  const labels = readIdx(join(dir, `${prefix}-labels-idx1-ubyte.gz`), 2049);
  if (images.dims[0] !== labels.dims[0]) {
    throw new DatasetError(`Fashion-MNIST ${prefix}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  }
  if (images.dims[1] !== 28 || images.dims[2] !== 28) throw new DatasetError(`Fashion-MNIST ${prefix}: images are not 28×28`);
  return { images: Uint8Array.from(images.data), labels: Uint8Array.from(labels.data), count: images.dims[0]! };
}

/** Fashion-MNIST from its gzipped IDX files (default: Debian's dataset-fashion-mnist). */
export function readFashionMnist(dir: string = FASHION_MNIST_DIR): Dataset {
  if (!existsSync(dir)) {
    throw new DatasetError(`Fashion-MNIST not found at ${dir}; install it with: ${FASHION_MNIST_INSTALL}, or pass its folder`);
  }
  const train = readFashionSplit(dir, 'train');
  const test = readFashionSplit(dir, 't10k');
  const shape = [1, 28, 28] as const;
  return { name: 'fashion_mnist', shape, classes: 10, train, test, ...channelStatistics(train, shape) };
}
