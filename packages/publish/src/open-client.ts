/**
 * One way to open a Client from configuration, for the `som` command and for programs
 * alike: `som.config.json`, then `SOM_*`, then explicit settings, with the DICOM-aware
 * defaults (image fields rebuilt from the DICOM header and entity aggregates refreshed when
 * `verify({repair})` repairs an entity).
 */
import { existsSync } from 'node:fs';
import { SomError, toSomError, type Client, type ClientOptions } from '@som/core';
import { ADAPTERS, localStorePaths } from './adapters';
import { loadConfig } from './config/load';
import type { Secrets } from './config/secrets';
import type { ConfigFlags, SomConfig } from './config/types';
import { entityAggregates } from './4-store/entity-summary';
import { imageFieldsReader } from './4-store/image-fields';

/** How long the first request to each store may take before it is called unreachable. */
export const REACH_TIMEOUT_MS = 30_000;

/** Where {@link openClient} takes its configuration from. */
export interface OpenClientOptions {
  /** The working directory whose `som.config.json` and `./som-data` are used (default `process.cwd()`). */
  cwd?: string;
  /** The environment whose `SOM_*` variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Explicit settings over the file and the environment, e.g. `{ objectStore: { type: 'memory' } }`. */
  settings?: ConfigFlags;
  /** A configuration read already (then nothing else is read). */
  config?: SomConfig;
  /** Receives every secret value met in the configuration, for redaction. */
  secrets?: Secrets;
  /**
   * Only open data that exists: NotFound when both stores are local and neither exists yet,
   * instead of creating empty ones (for programs that only read).
   */
  existingData?: boolean;
  /** How long each store may take to answer its first request (default {@link REACH_TIMEOUT_MS}). */
  reachTimeoutMs?: number;
  /** Options of the Client over the DICOM-aware defaults. */
  client?: Partial<ClientOptions>;
}

/** The configuration each client of {@link openClient} was opened with. */
const configurations = new WeakMap<Client, SomConfig>();

/** The configuration `client` was opened with by {@link openClient}, if it was. */
export function configOf(client: Client): SomConfig | undefined {
  return configurations.get(client);
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

/** NotFound when every store of `config` is local and none exists yet. */
function requireExistingData(config: SomConfig): void {
  const local = localStorePaths(config);
  const paths = [...local.objectStore, ...local.metadataStore];
  const bothLocal = local.objectStore.length > 0 && local.metadataStore.length > 0;
  if (bothLocal && !paths.some((path) => existsSync(path)))
    throw new SomError(
      'NotFound',
      `no data here yet: neither ${paths.join(' nor ')} exists (som upload creates them; ` +
        '--data-dir, SOM_DATA_DIR or som.config.json choose another place)',
    );
}

/**
 * The Client of the configured stores, once both have answered a first request. Close it
 * when done.
 * @throws ConfigError (InvalidArgument) listing every problem of the configuration; SomError
 *   Unavailable or PermissionDenied naming a store that cannot be used; NotFound with
 *   `existingData` where there is no data.
 */
export async function openClient(options: OpenClientOptions = {}): Promise<Client> {
  const config =
    options.config ??
    loadConfig({
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.settings !== undefined ? { flags: options.settings } : {}),
      ...(options.secrets !== undefined ? { secrets: options.secrets } : {}),
    });
  if (options.existingData) requireExistingData(config);
  let client: Client;
  try {
    // Loaded here: the composition (inversify) is a sixth of what starting `som` costs, and
    // only the commands that open stores need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed
    const { TOKENS, createContainer } = require('@som/core/di') as typeof import('@som/core/di');
    client = createContainer(
      { objectStore: config.objectStore, metadataStore: config.metadataStore },
      ADAPTERS,
      { imageFields: imageFieldsReader, entityAggregates, ...options.client },
    ).get(TOKENS.Client);
  } catch (err) {
    throw toSomError(err, 'opening the stores', 'Unavailable');
  }
  try {
    await checkReachable(client, options.reachTimeoutMs);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  configurations.set(client, config);
  return client;
}
