/**
 * Checkpoints on the wire: TrainingCheckpoint's tensors are float32 little-endian bytes (every
 * platform ONNX Runtime and Node run on here is little-endian), copied so that no view outlives
 * the message buffer it came in.
 */
import { TrainingCheckpoint as WireCheckpoint } from '@evonorm/contracts';
import { invalidArgument } from '@evonorm/rpc';
import { CheckpointMismatchError, checkCheckpointSchedule, type TrainingCheckpoint } from '@evonorm/train';

export function checkpointToWire(checkpoint: TrainingCheckpoint): WireCheckpoint {
  return {
    step: checkpoint.step,
    steps: checkpoint.steps,
    tensors: [...checkpoint.tensors].map(([name, values]) => ({ name, data: Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)) })),
  };
}

/** The request's resume_from for a training of `steps` steps, or invalid-argument errors naming the field. */
export function checkpointFromWire(wire: WireCheckpoint, steps: number): TrainingCheckpoint {
  // Checked here as well as by train(), which sees the checkpoint only after the request has
  // waited for a slot and built its network.
  try {
    checkCheckpointSchedule(wire, steps);
  } catch (error) {
    if (error instanceof CheckpointMismatchError) throw invalidArgument(`resume_from.${error.field}`, error.detail);
    throw error;
  }
  const tensors = new Map<string, Float32Array>();
  wire.tensors.forEach((tensor, i) => {
    if (!/^(param|momentum|state)\./.test(tensor.name)) throw invalidArgument(`resume_from.tensors[${i}].name`, `must start with param., momentum. or state., got ${JSON.stringify(tensor.name)}`);
    if (tensors.has(tensor.name)) throw invalidArgument(`resume_from.tensors[${i}].name`, `${tensor.name} appears twice`);
    if (tensor.data.byteLength % 4 !== 0) throw invalidArgument(`resume_from.tensors[${i}].data`, `must be float32 values (a multiple of 4 bytes), got ${tensor.data.byteLength} bytes`);
    // A copy: a decoded Buffer may be a view into a larger pool (and Buffer#slice does not copy).
    tensors.set(tensor.name, new Float32Array(Uint8Array.from(tensor.data).buffer));
  });
  return { step: wire.step, steps: wire.steps, tensors };
}
