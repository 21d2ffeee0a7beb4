/**
 * The arms of a comparison (evonorm compare): each strategy, or with `--vary FLAG=A,B` each strategy
 * under each value of one search flag (say uniform against adaptive seeds: `--strategies evolve
 * --vary adaptive-seeds=0,5`). Every arm runs the same seeds and the same other flags, so arms differ
 * in that one setting only. Pure: names, folders and flags; compare.ts runs them.
 */
import { PLAN_FLAGS, PlanError, planFrom } from './plan.js';

export interface Vary {
  readonly flag: string;
  readonly values: readonly string[];
}

export interface Arm {
  /** The strategy alone, or `<strategy>-<flag><value>` under --vary (evolve-adaptive-seeds5). */
  readonly name: string;
  readonly strategy: string;
  /** The arm's own search flags (the varied one), before the flags every arm shares. */
  readonly flags: readonly string[];
}

/** Flags compare sets for each search, or that only say true: not meaningful to vary. */
const NOT_VARIED = new Set(['strategy', 'seed', 'candidates', 'minutes', 'batch-independent']);

/** Parses `FLAG=A,B[,...]`: a search flag and at least two distinct values. Throws PlanError. */
export function parseVary(text: string): Vary {
  const eq = text.indexOf('=');
  const flag = (eq < 0 ? text : text.slice(0, eq)).trim().replace(/^--/, '');
  if (eq < 0 || !flag) throw new PlanError(`--vary wants FLAG=VALUE,VALUE (e.g. adaptive-seeds=0,5), got ${JSON.stringify(text)}`);
  if (!(flag in PLAN_FLAGS) || NOT_VARIED.has(flag)) {
    const allowed = Object.keys(PLAN_FLAGS).filter((f) => !NOT_VARIED.has(f));
    throw new PlanError(`--vary: ${JSON.stringify(flag)} is not a search flag that can vary; one of ${allowed.join(', ')}`);
  }
  // A list flag's own commas (--architectures a,b) cannot be told apart from the values': one value per arm is a plain value.
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim());
  if (values.length < 2 || values.some((v) => v.length === 0)) throw new PlanError(`--vary ${flag}: give at least two non-empty values, got ${JSON.stringify(text.slice(eq + 1))}`);
  if (new Set(values).size !== values.length) throw new PlanError(`--vary ${flag}: the values must differ, got ${values.join(',')}`);
  return { flag, values };
}

/** A folder-safe rendering of a value (0.015 → 0.015, resnet_v2=1 → resnet_v2-1). */
function slug(value: string): string {
  return value.replace(/[^A-Za-z0-9._]+/g, '-');
}

/**
 * The arms, strategy-major. Each arm's plan (the shared flags plus its own) is validated here, so a
 * bad value fails before any search starts. `shared` are the flags every search gets, as
 * `{ flag: value }` without the leading dashes; the varied flag must not be among them.
 */
export function compareArms(strategies: readonly string[], vary: Vary | undefined, shared: Readonly<Record<string, string>>): Arm[] {
  if (vary && vary.flag in shared) throw new PlanError(`--vary ${vary.flag} and --${vary.flag} both given; the varied flag takes its values from --vary only`);
  const arms: Arm[] = [];
  for (const strategy of strategies) {
    for (const value of vary ? vary.values : [undefined]) {
      const own = vary && value !== undefined ? { [vary.flag]: value } : {};
      try {
        planFrom({ ...shared, ...own, strategy });
      } catch (error) {
        if (error instanceof PlanError && vary) throw new PlanError(`--vary ${vary.flag}=${value}: ${error.message}`);
        throw error;
      }
      arms.push({
        name: vary && value !== undefined ? `${strategy}-${vary.flag}${slug(value)}` : strategy,
        strategy,
        flags: vary && value !== undefined ? [`--${vary.flag}`, value] : [],
      });
    }
  }
  const names = arms.map((a) => a.name);
  if (new Set(names).size !== names.length) throw new PlanError(`--vary ${vary?.flag}: values ${vary?.values.join(',')} give the same folder names; use values that differ in letters or digits`);
  return arms;
}
