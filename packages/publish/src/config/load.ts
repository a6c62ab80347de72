/**
 * Resolving a configuration: layers merged in order (file, environment, flags), defaults
 * filled in (the embedded default under `./som-data`), then validated with every problem
 * reported at once. Secret values are registered for redaction as soon as they are seen.
 */
import { join } from 'node:path';
import { SomError, type StoreConfig } from '@som/core';
import { adapterTypes, findAdapter } from '../adapters';
import { Secrets } from './secrets';
import { SecretValue } from './secret-value';
import { checkGoogleCredentials, checkStoreCredentials, unreadableFile } from './checks';
import { envLayer, fileLayer, flagLayer, type ConfigLayer, type StoreLayer } from './layers';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_DATA_DIR,
  MAX_CONCURRENCY,
  type ConfigFlags,
  type DasherSettings,
  type SomConfig,
} from './types';

/** Environment variables whose values are secrets (`SOM_SECRET`, `SOM_S3_SECRET_KEY`, `AWS_SESSION_TOKEN`, ...); `*_SECRETS` name files. */
const SECRET_ENV = /SECRET|TOKEN|PASSWORD/i;

/** A configuration that cannot be used: code InvalidArgument, one line per problem. */
export class ConfigError extends SomError {
  /** Every problem, one sentence each. */
  readonly problems: readonly string[];

  /** @param problems what is wrong (at least one). */
  constructor(problems: readonly string[]) {
    const message =
      problems.length === 1
        ? `invalid configuration: ${problems[0]}`
        : `invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`;
    super('InvalidArgument', message);
    this.name = 'ConfigError';
    this.problems = [...problems];
  }
}

/** Where a configuration is resolved. */
export interface ConfigInput {
  /** The working directory (default `process.cwd()`). */
  cwd?: string;
  /** The environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The command-line flags. */
  flags?: ConfigFlags;
  /** Receives every secret value met, for redaction (default: a set of its own). */
  secrets?: Secrets;
  /** Check the stores (default true; commands that use no store skip it). */
  stores?: boolean;
}

/** Merge one source's store settings over the current ones: a different type starts afresh. */
function mergeStore(
  current: StoreLayer | undefined,
  layer: StoreLayer | undefined,
): StoreLayer | undefined {
  if (layer === undefined) return current;
  if (current === undefined || (layer.type !== undefined && layer.type !== current.type))
    return { ...layer };
  return { ...current, ...layer };
}

/** The layers merged in order: later ones win. */
function merge(layers: readonly ConfigLayer[]): ConfigLayer {
  let out: ConfigLayer = { origin: 'defaults' };
  for (const layer of layers) {
    const { objectStore, metadataStore, dasher, ...rest } = layer;
    const defined = Object.fromEntries(
      Object.entries(rest).filter(([, v]) => v !== undefined),
    ) as Partial<ConfigLayer>;
    const mergedObjects = mergeStore(out.objectStore, objectStore);
    const mergedRecords = mergeStore(out.metadataStore, metadataStore);
    out = {
      ...out,
      ...defined,
      origin: layer.origin,
      ...(mergedObjects ? { objectStore: mergedObjects } : {}),
      ...(mergedRecords ? { metadataStore: mergedRecords } : {}),
      ...(dasher ? { dasher: { ...out.dasher, ...dasher } } : {}),
    };
  }
  return out;
}

/** Fill in the embedded default's locations for `fs` and `sqlite` stores without them. */
function withDefaults(store: StoreLayer, dataDir: string): StoreLayer {
  if (store.type === 'fs' && store.root === undefined)
    return { ...store, root: join(dataDir, 'objects') };
  if (store.type === 'sqlite' && store.path === undefined)
    return { ...store, path: join(dataDir, 'som.db') };
  return store;
}

/** Validate one store: known type, adapter settings, credential files. */
function checkStore(
  store: 'objectStore' | 'metadataStore',
  settings: StoreLayer,
  origin: string,
  env: NodeJS.ProcessEnv,
  secrets: Secrets,
): string[] {
  const what = store === 'objectStore' ? 'object store' : 'metadata store';
  const from = ` (set by ${origin})`;
  if (typeof settings.type !== 'string' || settings.type === '')
    return [`${what} has no "type"${from}: use one of ${adapterTypes(store).join(', ')}`];
  const config = settings as StoreConfig;
  const problems = checkStoreCredentials(`${what} ${config.type}`, config, secrets);
  const adapter = findAdapter(store, config.type);
  if (adapter === undefined)
    return [
      `unknown ${what} type ${JSON.stringify(config.type)}${from}: use one of ${adapterTypes(store).join(', ')}`,
    ];
  if (config.type === 'gcs' || config.type === 'datastore')
    problems.push(...checkGoogleCredentials(env, secrets));
  try {
    adapter.load().validate?.(config);
  } catch (err) {
    problems.push(`${what} ${config.type}${from}: ${secrets.redact((err as Error).message)}`);
  }
  return problems;
}

function checkConcurrency(value: unknown, problems: string[]): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= MAX_CONCURRENCY) return n;
  problems.push(
    `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${JSON.stringify(value)}`,
  );
  return DEFAULT_CONCURRENCY;
}

function checkDasher(
  dasher: Partial<DasherSettings> | undefined,
  problems: string[],
): DasherSettings | undefined {
  if (dasher === undefined || (dasher.study === undefined && dasher.url === undefined))
    return undefined;
  if (dasher.study === undefined)
    problems.push('DASHER is configured without a study: set "dasher.study" or SOM_DASHER_STUDY');
  if (dasher.secretsFile === undefined)
    problems.push(
      'DASHER is configured without a secrets file: set "dasher.secretsFile" or SOM_DASHER_SECRETS',
    );
  else {
    const problem = unreadableFile(dasher.secretsFile, 'DASHER secrets file');
    if (problem !== undefined) problems.push(problem);
  }
  if (dasher.study === undefined || dasher.secretsFile === undefined) return undefined;
  return {
    study: dasher.study,
    secretsFile: dasher.secretsFile,
    ...(dasher.url ? { url: dasher.url } : {}),
  };
}

/**
 * The configuration of a run: `som.config.json` (or `--config`/`SOM_CONFIG`), then the
 * environment, then the flags; defaults to the embedded default (fs objects in
 * `<dataDir>/objects`, SQLite in `<dataDir>/som.db`, key in `<dataDir>/pseudonym.key`).
 * Nothing is created or opened.
 * @throws ConfigError listing every problem; no message contains a secret value.
 */
export function loadConfig(input: ConfigInput): SomConfig {
  const cwd = input.cwd ?? process.cwd();
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const secrets = input.secrets ?? new Secrets();
  const problems: string[] = [];
  secrets.add(flags.secret);
  for (const [name, value] of Object.entries(env))
    if (SECRET_ENV.test(name) && !name.endsWith('_SECRETS')) secrets.add(value);
  const explicitFile = flags.config ?? (env.SOM_CONFIG === '' ? undefined : env.SOM_CONFIG);
  const file = fileLayer(cwd, explicitFile, problems);
  const merged = merge([
    ...(file ? [file] : []),
    envLayer(cwd, env, problems),
    flagLayer(cwd, flags, problems),
  ]);
  const dataDir = merged.dataDir ?? join(cwd, DEFAULT_DATA_DIR);
  const objectStore = withDefaults(merged.objectStore ?? { type: 'fs' }, dataDir);
  const metadataStore = withDefaults(merged.metadataStore ?? { type: 'sqlite' }, dataDir);
  if (input.stores !== false) {
    problems.push(
      ...checkStore(
        'objectStore',
        objectStore,
        merged.objectStoreOrigin ?? 'the default',
        env,
        secrets,
      ),
    );
    problems.push(
      ...checkStore(
        'metadataStore',
        metadataStore,
        merged.metadataStoreOrigin ?? 'the default',
        env,
        secrets,
      ),
    );
  }
  const concurrency = checkConcurrency(merged.concurrency, problems);
  if (merged.recipe !== undefined) {
    const problem = unreadableFile(merged.recipe, 'recipe file');
    if (problem !== undefined) problems.push(problem);
  }
  const dasher = checkDasher(merged.dasher, problems);
  if (merged.secret !== undefined && merged.secret.trim() === '')
    problems.push('the pseudonymisation key (--secret or SOM_SECRET) is empty');
  if (problems.length > 0) throw new ConfigError(problems.map((p) => secrets.redact(p)));
  return {
    objectStore: objectStore as StoreConfig,
    metadataStore: metadataStore as StoreConfig,
    dataDir,
    keyFile: merged.keyFile ?? join(dataDir, 'pseudonym.key'),
    ...(merged.secret !== undefined ? { secret: new SecretValue(merged.secret) } : {}),
    concurrency,
    ...(merged.recipe !== undefined ? { recipe: merged.recipe } : {}),
    ...(dasher ? { dasher } : {}),
    ...(file ? { configFile: file.origin } : {}),
  };
}
