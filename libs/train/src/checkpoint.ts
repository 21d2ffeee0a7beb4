/**
 * A training's state between two steps, so that a short training (the quality test, a low rung of
 * a multi-fidelity evaluation) can be continued instead of redone. The data stream and the
 * learning-rate schedule are functions of the seed, the step and the schedule's length, so the
 * checkpoint holds only the step, that length and the engine's tensors; a resumed training equals
 * one run straight through.
 */

export interface TrainingCheckpoint {
  /** Steps done: the resumed training's next step has this index. */
  readonly step: number;
  /** The schedule's length (the `steps` the training was started with). */
  readonly steps: number;
  /** Parameters, momenta and moving statistics: param.<name>, momentum.<name>, state.<name>. */
  readonly tensors: ReadonlyMap<string, Float32Array>;
}

/** A checkpoint that does not belong to the training asked to resume it. */
export class CheckpointMismatchError extends Error {
  constructor(
    message: string,
    /** The part at fault, and what is wrong with it without the subject (for a field-named error). */
    readonly field: 'steps' | 'step' | 'tensors' = 'tensors',
    readonly detail = message,
  ) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

const scheduleError = (field: 'steps' | 'step', detail: string): CheckpointMismatchError => new CheckpointMismatchError(`the checkpoint's ${field} ${detail}`, field, detail);

/**
 * Throws unless a checkpoint at `checkpoint.step` of a `checkpoint.steps`-step schedule can resume a
 * training of `steps` steps. Needs no network, so a service can answer a bad request before it
 * waits for a slot.
 */
export function checkCheckpointSchedule(checkpoint: Pick<TrainingCheckpoint, 'step' | 'steps'>, steps: number): void {
  if (checkpoint.steps !== steps) throw scheduleError('steps', `must equal the training's steps (${steps}): it comes from a schedule of ${checkpoint.steps} steps`);
  if (!Number.isInteger(checkpoint.step) || checkpoint.step < 1 || checkpoint.step >= steps) {
    throw scheduleError('step', `must be in [1, ${steps - 1}], got ${checkpoint.step}`);
  }
}

/** Throws unless `checkpoint` can resume a training of `steps` steps whose fresh state is `fresh`. */
export function checkCheckpoint(checkpoint: TrainingCheckpoint, steps: number, fresh: ReadonlyMap<string, Float32Array>): void {
  checkCheckpointSchedule(checkpoint, steps);
  for (const [name, value] of fresh) {
    const saved = checkpoint.tensors.get(name);
    if (!saved) throw new CheckpointMismatchError(`the checkpoint has no tensor ${name}: it comes from another network or layer`);
    if (saved.length !== value.length) throw new CheckpointMismatchError(`checkpoint tensor ${name} has ${saved.length} values, this network's has ${value.length}`);
  }
  const extra = [...checkpoint.tensors.keys()].find((name) => !fresh.has(name));
  if (extra !== undefined) throw new CheckpointMismatchError(`the checkpoint has a tensor ${extra} this network does not: it comes from another network or layer`);
}
