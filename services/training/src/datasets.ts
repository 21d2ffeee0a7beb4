/** Datasets a worker can train on, loaded once and kept in memory. */
import { FASHION_MNIST_DIR, FASHION_MNIST_INSTALL, DatasetError, downsampled, readCifar10, readFashionMnist, syntheticDataset, type Dataset } from '@evonorm/data';
import { failedPrecondition, invalidArgument } from '@evonorm/rpc';

export const DATASETS = ['fashion_mnist', 'cifar10', 'synthetic'] as const;

export class DatasetCatalog {
  private readonly loaded = new Map<string, Dataset>();

  constructor(private readonly dirs: { fashionMnist?: string; cifar10?: string }) {}

  /** Dataset `name` (named by request field `field` in errors), its sides divided by `downsample` (1: full resolution). */
  get(name: string, field: string, downsample = 1): Dataset {
    if (downsample !== 1) {
      const key = `${name}/${downsample}`;
      const cached = this.loaded.get(key);
      if (cached) return cached;
      const full = this.get(name, field);
      const [, h, w] = full.shape;
      if (h % downsample !== 0 || w % downsample !== 0) {
        throw invalidArgument('config.downsample', `${name}'s ${h}×${w} images do not divide by ${downsample}`);
      }
      const small = downsampled(full, downsample);
      this.loaded.set(key, small);
      return small;
    }
    const cached = this.loaded.get(name);
    if (cached) return cached;
    let dataset: Dataset;
    try {
      switch (name) {
        case 'fashion_mnist':
          dataset = readFashionMnist(this.dirs.fashionMnist ?? FASHION_MNIST_DIR);
          break;
        case 'cifar10':
          if (!this.dirs.cifar10) throw failedPrecondition('this worker has no CIFAR-10: start it with --cifar10-dir <folder of data_batch_*.bin>');
          dataset = readCifar10(this.dirs.cifar10);
          break;
        case 'synthetic':
          dataset = syntheticDataset({ seed: 0, shape: [1, 16, 16], train: 2000, test: 500 });
          break;
        default:
          throw invalidArgument(field, `unknown dataset ${JSON.stringify(name)}; use one of ${DATASETS.join(', ')}`);
      }
    } catch (error) {
      if (error instanceof DatasetError) {
        throw failedPrecondition(`${error.message}${name === 'fashion_mnist' ? ` (${FASHION_MNIST_INSTALL})` : ''}`);
      }
      throw error;
    }
    this.loaded.set(name, dataset);
    return dataset;
  }
}
