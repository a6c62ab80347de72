/**
 * What every handler of the server works with: the client, the readers and renderers built
 * on it, and the resolved options.
 */
import type { Client } from '@som/core';
import type { InstanceReader } from './instances';
import type { ResolvedOptions } from './options';
import type { Previews } from './previews';

/** The shared state of one running server. */
export interface Context {
  client: Client;
  reader: InstanceReader;
  previews: Previews;
  options: ResolvedOptions;
}
