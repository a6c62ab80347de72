/**
 * Helpers shared by the commands: the configuration from the flags, the Client of the
 * configured stores, and the JSON form of records.
 */
import { existsSync } from 'node:fs';
import {
  SomError,
  TOKENS,
  createContainer,
  toSomError,
  type Client,
  type ClientOptions,
} from '@som/core';
import {
  findAdapter,
  fsObjectRoot,
  loadConfig,
  type ConfigFlags,
  type SomConfig,
} from '@som/publish';
import type { Runtime } from '../runtime';

/** The options every command accepts (declared once on the program). */
export interface GlobalOptions {
  config?: string;
  objectStore?: string;
  metadataStore?: string;
  dataDir?: string;
}

/** The configuration of this run from its flags (see {@link loadConfig}); `stores: false` skips checking the stores. */
export function configFor(
  runtime: Runtime,
  flags: GlobalOptions & ConfigFlags,
  options: { stores?: boolean } = {},
): SomConfig {
  return loadConfig({
    cwd: runtime.cwd,
    env: runtime.env,
    flags,
    secrets: runtime.output.secrets,
    ...options,
  });
}

/** How long the first request to each store may take before it is called unreachable. */
export const REACH_TIMEOUT_MS = 30_000;

/** The Client of the configured stores (nothing is contacted yet). */
export function openClient(config: SomConfig, options: Partial<ClientOptions> = {}): Client {
  const registrations = (['objectStore', 'metadataStore'] as const).map((store) => {
    const entry = findAdapter(store, config[store].type);
    if (entry === undefined)
      throw new SomError(
        'InvalidArgument',
        `unknown ${store} type ${JSON.stringify(config[store].type)}`,
      );
    return entry.load();
  });
  try {
    return createContainer(
      { objectStore: config.objectStore, metadataStore: config.metadataStore },
      registrations,
      options,
    ).get(TOKENS.Client);
  } catch (err) {
    throw toSomError(err, 'opening the stores', 'Unavailable');
  }
}

/** Reject with `Unavailable` naming `what` when `work` takes longer than `ms`. */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SomError('Unavailable', `${what} did not answer within ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fail fast with one readable message when a store cannot be reached or refuses the
 * credentials, before any file is processed.
 */
export async function checkReachable(client: Client, timeoutMs = REACH_TIMEOUT_MS): Promise<void> {
  const stores: [string, string, () => Promise<unknown>][] = [
    [
      'object store',
      client.objects.name,
      () => client.objects.list({ prefix: 'Collection/', pageSize: 1 }),
    ],
    [
      'metadata store',
      client.records.name,
      () => client.records.query({ kind: 'Collection', limit: 1 }),
    ],
  ];
  for (const [what, name, probe] of stores) {
    try {
      await within(probe(), timeoutMs, name);
    } catch (err) {
      const error = toSomError(err, name, 'Unavailable');
      throw new SomError(error.code, `cannot use the ${what}: ${error.message}`, { cause: err });
    }
  }
}

/** The files or directories of the configured local stores (fs root, SQLite file). */
function localStorePaths(config: SomConfig): string[] {
  const root = fsObjectRoot(config);
  const paths = root !== undefined ? [root] : [];
  if (config.metadataStore.type === 'sqlite' && typeof config.metadataStore.path === 'string')
    paths.push(config.metadataStore.path);
  return paths;
}

/**
 * NotFound when every store of the configuration is local and none exists yet: a command
 * that only reads (ls, search, get, verify) says there is no data here instead of creating
 * empty stores in the working directory.
 */
function requireExistingData(config: SomConfig): void {
  const paths = localStorePaths(config);
  const bothLocal = paths.length === 2;
  if (bothLocal && !paths.some((path) => existsSync(path)))
    throw new SomError(
      'NotFound',
      `no data here yet: neither ${paths.join(' nor ')} exists (som upload creates them; ` +
        '--data-dir, SOM_DATA_DIR or som.config.json choose another place)',
    );
}

/**
 * Run `work` with a Client of the configured stores, closing it afterwards. For the
 * commands that read a dataset: local stores that do not exist are not created (see
 * {@link requireExistingData}).
 */
export async function withClient<T>(
  config: SomConfig,
  work: (client: Client) => Promise<T>,
  options: Partial<ClientOptions> = {},
): Promise<T> {
  requireExistingData(config);
  const client = openClient(config, options);
  try {
    await checkReachable(client);
    return await work(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** A positive whole number option, or InvalidArgument naming the flag. */
export function positiveInteger(
  value: string,
  flag: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new SomError(
      'InvalidArgument',
      `${flag} must be a whole number from 1 to ${max}, not ${JSON.stringify(value)}`,
    );
  return n;
}
