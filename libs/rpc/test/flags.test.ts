import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_MESSAGE_BYTES, FlagError, defineFlags, envName, flagUsage, parseFlags, serverConfig, serverFlags } from '../src/index.js';

const FLAGS = defineFlags({
  name: { type: 'string', description: 'a name' },
  count: { type: 'int', min: 1, max: 10, default: 3 },
  slots: { type: 'int', min: 0, note: '0: no limit' },
  fraction: { type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.5 },
  verbose: { type: 'boolean' },
  mode: { type: 'enum', values: ['fast', 'slow'], default: 'fast' },
  archs: { type: 'list', values: ['a', 'b', 'c'] },
  tag: { type: 'repeatable' },
  resume: { type: 'string', env: false },
  n: { type: 'int', short: 'n', min: 1, env: false },
});

describe('flag parser', () => {
  it('parses every kind of flag to its type, with defaults for the absent ones', () => {
    const { values, positionals, given } = parseFlags(['--name', 'x', '--slots=0', '--verbose', '--mode', 'slow', '--archs', 'a,c', '--tag', 'p', '--tag', 'q', '-n', '4', 'dir'], FLAGS, {
      positionals: true,
    });
    assert.deepEqual(values, { name: 'x', count: 3, slots: 0, fraction: 0.5, verbose: true, mode: 'slow', archs: ['a', 'c'], tag: ['p', 'q'], n: 4 });
    assert.deepEqual(positionals, ['dir']);
    assert.ok(given.has('name') && !given.has('count'));
    // the typed result: an enum is its union, a flag without default may be undefined
    const mode: 'fast' | 'slow' = values.mode;
    const name: string | undefined = values.name;
    assert.equal(`${mode}${name}`, 'slowx');
  });

  it('falls back to EVONORM_<FLAG> in the environment, and flags win', () => {
    const env = { EVONORM_NAME: 'from-env', EVONORM_COUNT: '7', EVONORM_VERBOSE: 'false', EVONORM_TAG: 'u,v', EVONORM_RESUME: 'ignored' };
    const fromEnv = parseFlags([], FLAGS, { env });
    assert.deepEqual([fromEnv.values.name, fromEnv.values.count, fromEnv.values.verbose, fromEnv.values.tag, fromEnv.values.resume], ['from-env', 7, false, ['u,v'], undefined]);
    assert.ok(fromEnv.set.has('name') && !fromEnv.given.has('name'));
    const flagsWin = parseFlags(['--name', 'flag', '--count', '2', '--verbose'], FLAGS, { env });
    assert.deepEqual([flagsWin.values.name, flagsWin.values.count, flagsWin.values.verbose], ['flag', 2, true]);
    assert.equal(envName('tls-client-ca'), 'EVONORM_TLS_CLIENT_CA');
  });

  it('accepts --flag=false for a boolean', () => {
    assert.equal(parseFlags(['--verbose=false'], FLAGS).values.verbose, false);
    assert.equal(parseFlags(['--verbose=true'], FLAGS).values.verbose, true);
    assert.throws(() => parseFlags(['--verbose=maybe'], FLAGS), /--verbose must be true or false, got "maybe"/);
  });

  it('refuses bad input with one error type whose message names the flag and the fix', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--count', '11'], {}, /^--count must be an integer in 1\.\.10, got "11"$/],
      [['--count', '2.5'], {}, /^--count must be an integer in 1\.\.10/],
      [['--count', ''], {}, /^--count must be an integer/],
      [['--slots=-1'], {}, /^--slots must be a non-negative integer \(0: no limit\)/],
      [['--slots', '-1'], {}, /^--slots needs a value; for one that starts with a dash write --slots=-\.\.\./],
      [['--fraction', '0'], {}, /^--fraction must be a number in \(0, 1\], got "0"/],
      [['--fraction', 'abc'], {}, /^--fraction must be a number/],
      [['--mode', 'medium'], {}, /^--mode must be one of fast, slow, got "medium"/],
      [['--archs', 'a,z'], {}, /^--archs: unknown value "z"; use a comma list of a, b, c/],
      [['--bogus'], {}, /^unknown flag --bogus/],
      [['--coun', '1'], {}, /^unknown flag --coun; did you mean --count\?/],
      [['--name'], {}, /^--name needs a value/],
      [['stray'], {}, /^unexpected argument "stray"/],
      [[], { EVONORM_COUNT: '99' }, /^EVONORM_COUNT \(--count\) must be an integer in 1\.\.10, got "99"/],
    ];
    for (const [argv, env, message] of cases) {
      assert.throws(
        () => parseFlags(argv, FLAGS, { env }),
        (e: unknown) => e instanceof FlagError && message.test(e.message),
        `${argv.join(' ')} ${JSON.stringify(env)}`,
      );
    }
  });

  it('writes usage text from the declarations: values, defaults and variables', () => {
    const usage = flagUsage('usage: thing [flags]', FLAGS);
    assert.match(usage, /^usage: thing \[flags\]\n/);
    assert.match(usage, /--count <integer in 1\.\.10> +\(default 3; EVONORM_COUNT\)/);
    assert.match(usage, /--mode fast\|slow +\(default fast; EVONORM_MODE\)/);
    assert.match(usage, /--name <text> +a name \(EVONORM_NAME\)/);
    assert.match(usage, /-n, --n <positive integer>/);
    assert.doesNotMatch(usage, /EVONORM_RESUME/);
    assert.equal(usage.split('\n').length, 1 + Object.keys(FLAGS).length);
  });
});

describe('server configuration', () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => {
    const { help: _help, ...server } = parseFlags(argv, serverFlags(50051), { env }).values;
    return serverConfig(server);
  };

  it('binds 127.0.0.1 with the default port and limits unless told otherwise', () => {
    const c = parse([]);
    assert.deepEqual([c.host, c.port, c.maxMessageBytes, c.logLevel, c.tlsCert], ['127.0.0.1', 50051, DEFAULT_MAX_MESSAGE_BYTES, 'info', undefined]);
  });

  it('reads flags first, then EVONORM_* environment variables', () => {
    const env = { EVONORM_PORT: '7000', EVONORM_HOST: '0.0.0.0', EVONORM_TLS_CERT: 'c.pem', EVONORM_TLS_KEY: 'k.pem', EVONORM_TLS_CLIENT_CA: 'ca.pem' };
    const c = parse(['--port', '7001'], env);
    assert.deepEqual([c.host, c.port, c.tlsCert, c.tlsKey, c.tlsClientCa], ['0.0.0.0', 7001, 'c.pem', 'k.pem', 'ca.pem']);
  });

  it('rejects bad values with a message that names the flag', () => {
    assert.throws(() => parse(['--port', '70000']), /--port must be an integer in 0\.\.65535/);
    assert.throws(() => parse(['--tls-cert', 'a.pem']), /TLS needs both --tls-cert and --tls-key/);
    assert.throws(() => parse(['--tls-client-ca', 'ca.pem']), /--tls-client-ca \(mutual TLS\) needs --tls-cert and --tls-key/);
    assert.throws(() => parse(['--bogus']), FlagError);
    assert.throws(() => parse(['--max-message-bytes', '5']), /--max-message-bytes must be an integer ≥ 1024/);
    assert.throws(() => parse(['--log-level', 'loud']), /--log-level must be one of debug, info, warn, error/);
  });
});
