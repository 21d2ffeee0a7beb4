/**
 * The one flag parser of every evonorm entry point (the four services' main.ts and every
 * `evonorm` command), built on node:util parseArgs. Flags are declared once, typed (string, int
 * with a range, number, boolean, enum, comma list, repeatable), with defaults and descriptions;
 * each flag falls back to the environment variable EVONORM_<FLAG> (dashes as underscores; flags
 * win); every problem is a FlagError whose message names the flag and the fix; `flagUsage`
 * writes the usage text from the same declarations. Entry points print `<prog>: <message>` and
 * exit 2 on a FlagError (see `exitOnFlagError`).
 */
import { parseArgs } from 'node:util';

/** A bad flag or flag value. The message names the flag and says what it must be. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

interface Common {
  /** One line for the usage text. */
  readonly description?: string;
  /** What the value looks like in the usage text, e.g. "host:port". */
  readonly placeholder?: string;
  /** One-letter alias, e.g. "n" for -n. */
  readonly short?: string;
  /** Read EVONORM_<FLAG> when the flag is absent (default true; false for per-run flags like --resume). */
  readonly env?: boolean;
}
export interface StringFlag extends Common {
  readonly type: 'string';
  readonly default?: string;
}
export interface IntFlag extends Common {
  readonly type: 'int';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** Appended to the range in errors and usage, e.g. "0: no limit". */
  readonly note?: string;
}
export interface NumberFlag extends Common {
  readonly type: 'number';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** The minimum itself is not allowed: (min, max]. */
  readonly exclusiveMin?: boolean;
}
export interface BooleanFlag extends Common {
  readonly type: 'boolean';
  readonly default?: boolean;
}
export interface EnumFlag<V extends string = string> extends Common {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default?: NoInfer<V>;
}
/** A comma-separated list ("a,b,c"), optionally restricted to `values`. */
export interface ListFlag extends Common {
  readonly type: 'list';
  readonly values?: readonly string[];
  readonly default?: readonly string[];
}
/** A flag given any number of times (--x a --x b); from the environment, a comma list. */
export interface RepeatableFlag extends Common {
  readonly type: 'repeatable';
  readonly default?: readonly string[];
}
export type FlagSpec = StringFlag | IntFlag | NumberFlag | BooleanFlag | EnumFlag | ListFlag | RepeatableFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<F> = F extends IntFlag | NumberFlag ? number : F extends BooleanFlag ? boolean : F extends EnumFlag<infer V> ? V : F extends ListFlag | RepeatableFlag ? string[] : string;

/** Parsed values: a flag with a default always has a value; one without is undefined when absent. */
export type FlagValues<S extends FlagSpecs> = { -readonly [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined };

export interface ParsedFlags<S extends FlagSpecs> {
  readonly values: FlagValues<S>;
  readonly positionals: string[];
  /** Flags given on the command line (not from the environment or defaults). */
  readonly given: ReadonlySet<keyof S & string>;
  /** Flags that have a value from the command line or the environment (not from defaults). */
  readonly set: ReadonlySet<keyof S & string>;
}

export interface ParseOptions {
  /** Environment to fall back on (default: none). Pass process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Allow arguments that are not flags (default false). */
  readonly positionals?: boolean;
}

/** Declares flags with their literal types kept (so enums parse to their union). */
export function defineFlags<const S extends FlagSpecs>(specs: S): S {
  return specs;
}

/** EVONORM_TLS_CERT for "tls-cert". */
export function envName(flag: string): string {
  return `EVONORM_${flag.toUpperCase().replace(/-/g, '_')}`;
}

const TRUE = new Set(['true', '1', 'yes', 'on', '']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function rangeText(spec: IntFlag | NumberFlag): string {
  const { min, max } = spec;
  if (spec.type === 'int') {
    if (min !== undefined && max !== undefined) return `an integer in ${min}..${max}`;
    if (min === 0) return 'a non-negative integer';
    if (min === 1) return 'a positive integer';
    if (min !== undefined) return `an integer ≥ ${min}`;
    if (max !== undefined) return `an integer ≤ ${max}`;
    return 'an integer';
  }
  const open = spec.exclusiveMin ? '(' : '[';
  if (min !== undefined && max !== undefined) return `a number in ${open}${min}, ${max}]`;
  if (min !== undefined) return `a number ${spec.exclusiveMin ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `a number ≤ ${max}`;
  return 'a number';
}

function convert(spec: FlagSpec, raw: string | boolean | string[], source: string): unknown {
  const fail = (rule: string, shown: unknown): never => {
    throw new FlagError(`${source} must be ${rule}, got ${JSON.stringify(shown)}`);
  };
  switch (spec.type) {
    case 'string':
      return String(raw);
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const text = String(raw).toLowerCase();
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      return fail('true or false', raw);
    }
    case 'int':
    case 'number': {
      const text = String(raw).trim();
      const value = Number(text);
      const note = spec.type === 'int' && spec.note ? ` (${spec.note})` : '';
      const ok =
        text.length > 0 &&
        Number.isFinite(value) &&
        (spec.type !== 'int' || Number.isSafeInteger(value)) &&
        (spec.min === undefined || (spec.type === 'number' && spec.exclusiveMin ? value > spec.min : value >= spec.min)) &&
        (spec.max === undefined || value <= spec.max);
      if (!ok) fail(`${rangeText(spec)}${note}`, raw);
      return value;
    }
    case 'enum': {
      const text = String(raw);
      if (!spec.values.includes(text)) fail(`one of ${spec.values.join(', ')}`, raw);
      return text;
    }
    case 'list':
    case 'repeatable': {
      const items = (Array.isArray(raw) ? raw : [String(raw)]).flatMap((r) => (spec.type === 'list' ? r.split(',') : [r])).map((s) => s.trim());
      const kept = items.filter((s) => s.length > 0);
      if (spec.type === 'list' && spec.values) {
        const bad = kept.find((s) => !spec.values!.includes(s));
        if (bad !== undefined) throw new FlagError(`${source}: unknown value ${JSON.stringify(bad)}; use a comma list of ${spec.values.join(', ')}`);
      }
      return kept;
    }
  }
}

/**
 * Parses `argv` against `specs`: flags first, then EVONORM_<FLAG> from `options.env`, then the
 * default. Throws FlagError for an unknown flag, a missing or malformed value, or one out of range.
 */
export function parseFlags<const S extends FlagSpecs>(argv: readonly string[], specs: S, options: ParseOptions = {}): ParsedFlags<S> {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [flag, spec] of Object.entries(specs)) {
    parseOptions[flag] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.type === 'repeatable' ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  // parseArgs refuses "--flag=false" for a boolean; accept it (and =true) as the value.
  const args: string[] = [];
  const explicitBooleans = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([^=]+)=(.*)$/.exec(arg);
    if (match && specs[match[1]!]?.type === 'boolean') explicitBooleans.set(match[1]!, match[2]!);
    else args.push(arg);
  }
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: parseOptions, strict: true, allowPositionals: options.positionals ?? false }) as typeof parsed;
  } catch (error) {
    throw new FlagError(plainParseError(error as Error, specs));
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const set = new Set<string>();
  for (const [flag, spec] of Object.entries(specs)) {
    const fromArgs = explicitBooleans.get(flag) ?? parsed.values[flag];
    const fromEnv = spec.env === false ? undefined : options.env?.[envName(flag)];
    if (fromArgs !== undefined) {
      given.add(flag);
      set.add(flag);
      values[flag] = convert(spec, fromArgs, `--${flag}`);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      set.add(flag);
      values[flag] = convert(spec, fromEnv, `${envName(flag)} (--${flag})`);
    } else if (spec.default !== undefined) {
      values[flag] = Array.isArray(spec.default) ? [...(spec.default as readonly string[])] : spec.default;
    }
  }
  return { values: values as FlagValues<S>, positionals: parsed.positionals, given: given as Set<keyof S & string>, set: set as Set<keyof S & string> };
}

/** parseArgs's messages, shortened and with the fix. */
function plainParseError(error: Error, specs: FlagSpecs): string {
  const message = error.message.split('\n')[0]!;
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
  if (unknown) {
    const name = unknown[1]!.replace(/^-+/, '');
    const near = Object.keys(specs).filter((f) => f.startsWith(name.slice(0, 3)) || name.startsWith(f));
    return `unknown flag ${unknown[1]}${near.length > 0 ? `; did you mean --${near.join(', --')}?` : ''} (--help lists the flags)`;
  }
  const needsValue = /Option '(?:-\w, )?(--[^ ]+) <value>' argument missing/.exec(message);
  if (needsValue) return `${needsValue[1]} needs a value`;
  const ambiguous = /Option '(--[^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) return `${ambiguous[1]} needs a value; for one that starts with a dash write ${ambiguous[1]}=-...`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument ${JSON.stringify(positional[1])} (flags take the form --name value)`;
  return message;
}

function valueHint(spec: FlagSpec): string {
  if (spec.placeholder) return ` <${spec.placeholder}>`;
  switch (spec.type) {
    case 'boolean':
      return '';
    case 'enum':
      return ` ${spec.values.join('|')}`;
    case 'int':
    case 'number':
      return ` <${rangeText(spec).replace(/^an? /, '')}>`;
    case 'list':
      return spec.values ? ` ${spec.values.join(',')}` : ' <a,b,...>';
    case 'repeatable':
      return ' <value> (repeatable)';
    case 'string':
      return ' <text>';
  }
}

/** Usage text from the declarations: one line per flag with its values, default and variable. */
export function flagUsage(synopsis: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([flag, spec]) => {
    const name = `${spec.short ? `-${spec.short}, ` : ''}--${flag}${valueHint(spec)}`;
    const extras = [
      spec.default !== undefined && spec.default !== false ? `default ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)}` : '',
      spec.env === false ? '' : envName(flag),
    ].filter(Boolean);
    return [name, `${spec.description ?? ''}${extras.length > 0 ? `${spec.description ? ' ' : ''}(${extras.join('; ')})` : ''}`] as const;
  });
  const width = Math.min(44, Math.max(...rows.map(([n]) => n.length), 0));
  const lines = rows.map(([n, d]) => (n.length > width ? `  ${n}\n  ${' '.repeat(width)}  ${d}` : `  ${n.padEnd(width)}  ${d}`));
  return `${synopsis}\n${lines.join('\n')}`;
}

/**
 * Runs an entry point's start-up: a FlagError prints `<prog>: <message>` and exits 2; any other
 * error prints its stack and exits with `otherCode` (the services use 2 for any start-up failure).
 */
export async function exitOnFlagError(prog: string, start: () => Promise<void> | void, otherCode = 1): Promise<void> {
  try {
    await start();
  } catch (error) {
    if (error instanceof FlagError) {
      console.error(`${prog}: ${error.message}`);
      process.exit(2);
    }
    console.error(`${prog}: ${(error as Error).stack ?? String(error)}`);
    process.exit(otherCode);
  }
}
