/**
 * Dependency injection (inversify), at the edge: typed tokens and a container composed from
 * configuration and the adapter registrations ({@link AdapterRegistration}): the chosen
 * adapters' drivers are bound to {@link TOKENS}, then the portable stores and the Client.
 */
import 'reflect-metadata';
import { Container, type ServiceIdentifier } from 'inversify';
import {
  openStoreDriver,
  type AdapterRegistration,
  type MetadataStoreAdapter,
  type ObjectStoreAdapter,
} from './adapter';
import { Client, type ClientOptions } from './client/client';
import { SomError } from './errors';
import { MetadataStore } from './metadata-store/metadata-store';
import type { MetadataStoreDriver } from './metadata-store/driver';
import { ObjectStore } from './object-store/object-store';
import type { ObjectStoreDriver } from './object-store/driver';
import { STORE_NAMES, type StoreKind } from './settings';
import type { StoreConfig, StoresConfig } from './store-config';

export type { StoreConfig, StoresConfig } from './store-config';
export {
  memoryMetadataStoreAdapter,
  memoryObjectStoreAdapter,
  type AdapterRegistration,
  type MetadataStoreAdapter,
  type ObjectStoreAdapter,
} from './adapter';

/** Typed service identifiers of the container. */
export const TOKENS = {
  /** The whole stores configuration. */
  StoresConfig: Symbol.for('som.StoresConfig') as ServiceIdentifier<StoresConfig>,
  /** The object store adapter chosen by configuration. */
  ObjectStoreDriver: Symbol.for('som.ObjectStoreDriver') as ServiceIdentifier<ObjectStoreDriver>,
  /** The metadata store adapter chosen by configuration. */
  MetadataStoreDriver: Symbol.for(
    'som.MetadataStoreDriver',
  ) as ServiceIdentifier<MetadataStoreDriver>,
  /** The portable object store. */
  ObjectStore: Symbol.for('som.ObjectStore') as ServiceIdentifier<ObjectStore>,
  /** The portable metadata store. */
  MetadataStore: Symbol.for('som.MetadataStore') as ServiceIdentifier<MetadataStore>,
  /** Extra options of the Client (e.g. an image fields reader). */
  ClientOptions: Symbol.for('som.ClientOptions') as ServiceIdentifier<Partial<ClientOptions>>,
  /** The Client. */
  Client: Symbol.for('som.Client') as ServiceIdentifier<Client>,
} as const;

/** The adapter of `store` whose type `config` names; InvalidArgument listing the others. */
function pick<Adapter extends AdapterRegistration>(
  adapters: readonly AdapterRegistration[],
  store: StoreKind,
  config: StoreConfig,
): Adapter {
  const found = adapters.find((a) => a.store === store && a.type === config.type);
  if (found === undefined) {
    const known = adapters.filter((a) => a.store === store).map((a) => a.type);
    throw new SomError(
      'InvalidArgument',
      `unknown ${STORE_NAMES[store]} type ${JSON.stringify(config.type)}: use one of ${known.join(', ')}`,
    );
  }
  return found as Adapter;
}

/**
 * A container for `config`: the chosen adapters' drivers plus the portable stores and the
 * Client, all singletons. Unknown types and invalid settings fail here, before any I/O.
 */
export function createContainer(
  config: StoresConfig,
  adapters: readonly AdapterRegistration[],
  clientOptions: Partial<ClientOptions> = {},
): Container {
  const objectAdapter = pick<ObjectStoreAdapter>(adapters, 'objectStore', config.objectStore);
  const metadataAdapter = pick<MetadataStoreAdapter>(
    adapters,
    'metadataStore',
    config.metadataStore,
  );
  const objectDriver = openStoreDriver(objectAdapter, config.objectStore);
  const metadataDriver = openStoreDriver(metadataAdapter, config.metadataStore);
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.StoresConfig).toConstantValue(config);
  container.bind(TOKENS.ClientOptions).toConstantValue(clientOptions);
  container.bind(TOKENS.ObjectStoreDriver).toConstantValue(objectDriver);
  container.bind(TOKENS.MetadataStoreDriver).toConstantValue(metadataDriver);
  container
    .bind(TOKENS.ObjectStore)
    .toDynamicValue((ctx) => new ObjectStore(ctx.get(TOKENS.ObjectStoreDriver)));
  container
    .bind(TOKENS.MetadataStore)
    .toDynamicValue((ctx) => new MetadataStore(ctx.get(TOKENS.MetadataStoreDriver)));
  container.bind(TOKENS.Client).toDynamicValue(
    (ctx) =>
      new Client({
        ...ctx.get(TOKENS.ClientOptions),
        objectStore: ctx.get(TOKENS.ObjectStore),
        metadataStore: ctx.get(TOKENS.MetadataStore),
      }),
  );
  return container;
}
