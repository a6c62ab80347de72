/**
 * Helpers shared by the commands: the configuration from the flags, the Client of the
 * configured stores, and checked numbers.
 */
import { SomError, type Client } from '@som/core';
import { loadConfig, openClient, type ConfigFlags, type SomConfig } from '@som/publish';
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

/**
 * Run `work` with a Client of the configured stores, closing it afterwards. For the
 * commands that read a dataset: local stores that do not exist are not created.
 */
export async function withClient<T>(
  config: SomConfig,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await openClient({ config, existingData: true });
  try {
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
