#!/usr/bin/env node
/** The evonorm command line. */
import { ExecutionProviderError } from '@evonorm/onnx';
import { BENCH_USAGE, benchCommand } from './commands/bench.js';
import { EXPORT_USAGE, exportCommand } from './commands/export.js';
import { UsageError } from './layers.js';

const USAGE = `evonorm: evolutionary search for normalization-activation layers

commands:
  export   write a layer (zoo name or JSON graph) as an ONNX model
  bench    time layers and networks with ONNX Runtime (CPU or CUDA)

${EXPORT_USAGE}

${BENCH_USAGE}

The search itself (evonorm search, top, serve) arrives with the orchestrator.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'export':
      exportCommand(rest);
      return 0;
    case 'bench':
      await benchCommand(rest);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ExecutionProviderError || (error instanceof TypeError && 'code' in error)) {
      console.error(`evonorm: ${(error as Error).message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
