import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secrets } from './secrets';
import { ConfigError, loadConfig } from './load';
import type { ConfigFlags } from './types';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(
  options: { env?: NodeJS.ProcessEnv; flags?: ConfigFlags; file?: unknown; secrets?: Secrets } = {},
) {
  if (options.file !== undefined) {
    writeFileSync(
      join(dir, 'som.config.json'),
      typeof options.file === 'string' ? options.file : JSON.stringify(options.file),
    );
  }
  return loadConfig({
    cwd: dir,
    env: options.env ?? {},
    flags: options.flags ?? {},
    secrets: options.secrets ?? new Secrets(),
  });
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('is the embedded default without any configuration', () => {
    const config = load();
    expect(config.objectStore).toEqual({ type: 'fs', root: join(dir, 'som-data', 'objects') });
    expect(config.metadataStore).toEqual({ type: 'sqlite', path: join(dir, 'som-data', 'som.db') });
    expect(config.keyFile).toBe(join(dir, 'som-data', 'pseudonym.key'));
    expect(config.concurrency).toBe(8);
    expect(config.secret).toBeUndefined();
    expect(config.configFile).toBeUndefined();
  });

  it('takes the file, then the environment, then the flags', () => {
    const file = { dataDir: 'from-file', concurrency: 3, objectStore: { type: 'memory' } };
    expect(load({ file }).dataDir).toBe(join(dir, 'from-file'));
    expect(load({ file }).concurrency).toBe(3);
    expect(load({ file }).objectStore).toEqual({ type: 'memory' });
    const env = { SOM_DATA_DIR: 'from-env', SOM_CONCURRENCY: '4', SOM_OBJECT_STORE: 'fs' };
    const fromEnv = load({ file, env });
    expect(fromEnv.dataDir).toBe(join(dir, 'from-env'));
    expect(fromEnv.concurrency).toBe(4);
    expect(fromEnv.objectStore).toEqual({ type: 'fs', root: join(dir, 'from-env', 'objects') });
    const fromFlags = load({
      file,
      env,
      flags: { dataDir: 'from-flag', concurrency: '5', objectStore: '{"type":"memory"}' },
    });
    expect(fromFlags.dataDir).toBe(join(dir, 'from-flag'));
    expect(fromFlags.concurrency).toBe(5);
    expect(fromFlags.objectStore).toEqual({ type: 'memory' });
    expect(fromFlags.keyFile).toBe(join(dir, 'from-flag', 'pseudonym.key'));
  });

  it('resolves paths in the file against the file, and keeps settings when only the type is overridden', () => {
    mkdirSync(join(dir, 'conf'));
    writeFileSync(
      join(dir, 'conf', 'c.json'),
      JSON.stringify({ objectStore: { type: 'fs', root: 'objs' }, keyFile: 'k.key' }),
    );
    const config = load({ flags: { config: 'conf/c.json' }, env: { SOM_OBJECT_STORE: 'fs' } });
    expect(config.objectStore).toEqual({ type: 'fs', root: join(dir, 'conf', 'objs') });
    expect(config.keyFile).toBe(join(dir, 'conf', 'k.key'));
    expect(config.configFile).toBe(join(dir, 'conf', 'c.json'));
    // A settings object without a type is merged into the current store.
    expect(
      load({ flags: { config: 'conf/c.json', objectStore: '{"root":"/elsewhere"}' } }).objectStore,
    ).toEqual({ type: 'fs', root: '/elsewhere' });
  });

  it('reads SOM_CONFIG, and --config wins over it', () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ concurrency: 2 }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ concurrency: 7 }));
    expect(load({ env: { SOM_CONFIG: 'a.json' } }).concurrency).toBe(2);
    expect(load({ env: { SOM_CONFIG: 'a.json' }, flags: { config: 'b.json' } }).concurrency).toBe(
      7,
    );
  });

  it('names malformed JSON with its position, never its text', () => {
    const [problem] = problemsOf(() =>
      load({ file: '{\n  "objectStore": {"type": "fs",\n  "secretKey": hunter2}\n}' }),
    );
    expect(problem).toBe(
      `configuration file ${join(dir, 'som.config.json')} is not valid JSON: expected a value (object, array, string, number, true, false or null) at line 3, column 16`,
    );
    expect(problem).not.toContain('hunter2');
    rmSync(join(dir, 'som.config.json'));
    const [env] = problemsOf(() =>
      load({ env: { SOM_OBJECT_STORE: '{"type":"minio","secretKey":"abc' } }),
    );
    expect(env).toBe(
      'SOM_OBJECT_STORE is not valid JSON: unexpected end of input at line 1, column 33',
    );
  });

  it('reports every problem at once, one readable sentence each', () => {
    const problems = problemsOf(() =>
      load({
        file: {
          objectStore: { type: 'nosuch' },
          metadataStore: {},
          concurrency: 0,
          colour: 'blue',
        },
        flags: { recipe: 'missing.recipe' },
      }),
    );
    expect(problems).toEqual([
      `${join(dir, 'som.config.json')}: unknown setting "colour" (known: objectStore, metadataStore, dataDir, keyFile, concurrency, recipe, dasher)`,
      `unknown object store type "nosuch" (set by ${join(dir, 'som.config.json')}): use one of fs, gcs, minio, memory`,
      `metadata store has no "type" (set by ${join(dir, 'som.config.json')}): use one of sqlite, datastore, memory`,
      'concurrency must be a whole number from 1 to 256, not 0',
      `recipe file ${join(dir, 'missing.recipe')} does not exist`,
    ]);
  });

  it('refuses a secret in the file and an empty --secret', () => {
    expect(problemsOf(() => load({ file: { secret: 'abcdefgh' } }))[0]).toMatch(
      /"secret" does not belong in a file that may be shared/,
    );
    rmSync(join(dir, 'som.config.json'));
    expect(problemsOf(() => load({ flags: { secret: ' ' } }))).toEqual([
      'the pseudonymisation key (--secret or SOM_SECRET) is empty',
    ]);
  });

  it('checks credential files and never shows their content', () => {
    const secrets = new Secrets();
    writeFileSync(
      join(dir, 'key.json'),
      JSON.stringify({ type: 'service_account', private_key: '-----BEGIN PRIVATE KEY-----xyz' }),
    );
    if (process.getuid?.() !== 0) {
      // (root reads any file: this part only runs for other users)
      chmodSync(join(dir, 'key.json'), 0o000);
      const unreadable = problemsOf(() =>
        load({
          flags: { objectStore: JSON.stringify({ type: 'memory', keyFilename: 'key.json' }) },
        }),
      );
      expect(unreadable).toEqual([
        `object store memory credentials file ${join(dir, 'key.json')} cannot be read (permission denied)`,
      ]);
      chmodSync(join(dir, 'key.json'), 0o600);
    }
    const missing = problemsOf(() =>
      load({
        flags: { objectStore: JSON.stringify({ type: 'memory', keyFilename: 'nope.json' }) },
      }),
    );
    expect(missing).toEqual([
      `object store memory credentials file ${join(dir, 'nope.json')} does not exist`,
    ]);
    load({
      flags: { objectStore: JSON.stringify({ type: 'memory', keyFilename: 'key.json' }) },
      secrets,
    });
    expect(secrets.redact('leak: -----BEGIN PRIVATE KEY-----xyz')).toBe('leak: [redacted]');
    const google = problemsOf(() =>
      load({
        env: {
          GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'gone.json'),
          SOM_OBJECT_STORE: '{"type":"gcs","bucket":"b"}',
        },
      }),
    );
    expect(google).toContain(
      `GOOGLE_APPLICATION_CREDENTIALS file ${join(dir, 'gone.json')} does not exist`,
    );
  });

  it('registers secret settings and keys for redaction, and never puts them in messages', () => {
    const secrets = new Secrets();
    let message = '';
    try {
      load({
        env: { SOM_SECRET: 'env-secret-value' },
        flags: { objectStore: JSON.stringify({ type: 'nosuch', secretKey: 'swordfish-123' }) },
        secrets,
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/unknown object store type "nosuch"/);
    expect(message).not.toContain('swordfish-123');
    expect(secrets.redact('a swordfish-123 b env-secret-value c')).toBe(
      'a [redacted] b [redacted] c',
    );
    const config = load({ flags: { secret: 'flag-secret-value' } });
    expect(JSON.stringify(config)).not.toContain('flag-secret-value');
    expect(String(config.secret)).not.toContain('flag-secret-value');
  });

  it('checks the DASHER settings', () => {
    expect(problemsOf(() => load({ env: { SOM_DASHER_URL: 'http://127.0.0.1:1' } }))).toEqual([
      'DASHER is configured without a study: set "dasher.study" or SOM_DASHER_STUDY',
      'DASHER is configured without a secrets file: set "dasher.secretsFile" or SOM_DASHER_SECRETS',
    ]);
    writeFileSync(join(dir, 'dasher.json'), '{}');
    const config = load({ env: { SOM_DASHER_STUDY: 'test', SOM_DASHER_SECRETS: 'dasher.json' } });
    expect(config.dasher).toEqual({ study: 'test', secretsFile: join(dir, 'dasher.json') });
  });

  it('skips the stores when asked', () => {
    expect(problemsOf(() => load({ env: { SOM_OBJECT_STORE: 'nosuch' } }))[0]).toMatch(
      /^unknown object store type "nosuch" \(set by SOM_OBJECT_STORE\)/,
    );
    expect(
      loadConfig({
        cwd: dir,
        env: { SOM_OBJECT_STORE: 'nosuch' },
        secrets: new Secrets(),
        stores: false,
      }).objectStore,
    ).toEqual({ type: 'nosuch' });
  });
});
