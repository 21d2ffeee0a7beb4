/**
 * Command lines of the benchmarks that run at a search plan's sizes (bench-cost, bench-fidelity):
 * their own flags plus every search plan flag, parsed into values and a plan for one candidate.
 * Bad flags end the process with exit code 2 and the bench's name in the message.
 */
import { FlagError, parseFlags, type FlagSpec } from '@evonorm/rpc';
import { PLAN_FLAGS, PlanError, planFrom, type SearchPlan } from '../src/search/plan.js';

/** Every search plan flag, as a string (the plan parses it) or a boolean. */
const PLAN_SPECS: Record<string, FlagSpec> = Object.fromEntries(Object.keys(PLAN_FLAGS).map((f) => [f, f === 'batch-independent' ? { type: 'boolean', env: false } : { type: 'string', env: false }]));

export function benchFail(bench: string, message: string): never {
  console.error(`${bench}: ${message}`);
  process.exit(2);
}

/** `own` and the plan flags from `argv`; `values` as the caller types them. */
export function parseBenchArgs<Values>(bench: string, argv: string[], own: Record<string, FlagSpec>): { values: Values & Record<string, unknown>; plan: SearchPlan } {
  let parsed;
  try {
    parsed = parseFlags(argv, { ...PLAN_SPECS, ...own });
  } catch (error) {
    if (error instanceof FlagError) benchFail(bench, error.message);
    throw error;
  }
  const values = parsed.values as unknown as Values & Record<string, unknown>;
  const planFlags: Record<string, string> = { candidates: '1', minutes: '0' };
  for (const f of Object.keys(PLAN_FLAGS)) if (values[f] !== undefined) planFlags[f] = String(values[f]);
  try {
    return { values, plan: planFrom(planFlags) };
  } catch (error) {
    if (error instanceof PlanError) benchFail(bench, error.message);
    throw error;
  }
}
