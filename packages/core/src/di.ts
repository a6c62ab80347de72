/**
 * Dependency injection (inversify): typed tokens, the adapter registry, and a container
 * composed from configuration. Each adapter package exports an {@link AdapterRegistration}
 * whose ContainerModule binds its driver to {@link TOKENS}.
 */
import 'reflect-metadata';
import { Container, ContainerModule, type ServiceIdentifier } from 'inversify';
import { Client, type ClientOptions } from './client/client';
import { SomError } from './errors';
import { MetadataStore } from './metadata-store/metadata-store';
import type { MetadataStoreDriver } from './metadata-store/driver';
import { MemoryMetadataDriver } from './metadata-store/memory';
import { ObjectStore } from './object-store/object-store';
import type { ObjectStoreDriver } from './object-store/driver';
import { MemoryObjectDriver } from './object-store/memory';
import type { StoreConfig, StoresConfig } from './store-config';

export type { StoreConfig, StoresConfig } from './store-config';

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

/** An adapter a deployment can choose by `type` in its configuration. */
export interface AdapterRegistration {
  /** Which store it provides. */
  store: 'objectStore' | 'metadataStore';
  /** The `type` that selects it in configuration, e.g. `fs`, `sqlite`, `gcs`. */
  type: string;
  /** Throw InvalidArgument naming each bad setting; called before anything is built. */
  validate?(config: StoreConfig): void;
  /** A module binding the driver token from the store's configuration. */
  module(config: StoreConfig): ContainerModule;
}

/** The in-memory object store adapter (`type: "memory"`). */
export const memoryObjectStoreAdapter: AdapterRegistration = {
  store: 'objectStore',
  type: 'memory',
  module: () =>
    new ContainerModule(({ bind }) => {
      bind(TOKENS.ObjectStoreDriver).toConstantValue(new MemoryObjectDriver());
    }),
};

/** The in-memory metadata store adapter (`type: "memory"`). */
export const memoryMetadataStoreAdapter: AdapterRegistration = {
  store: 'metadataStore',
  type: 'memory',
  module: () =>
    new ContainerModule(({ bind }) => {
      bind(TOKENS.MetadataStoreDriver).toConstantValue(new MemoryMetadataDriver());
    }),
};

function pick(
  adapters: readonly AdapterRegistration[],
  store: AdapterRegistration['store'],
  config: StoreConfig,
): AdapterRegistration {
  const found = adapters.find((a) => a.store === store && a.type === config.type);
  if (found === undefined) {
    const known = adapters.filter((a) => a.store === store).map((a) => a.type);
    throw new SomError(
      'InvalidArgument',
      `unknown ${store} type ${JSON.stringify(config.type)}: use one of ${known.join(', ')}`,
    );
  }
  found.validate?.(config);
  return found;
}

/**
 * A container for `config`: the chosen adapters' modules plus the portable stores and the
 * Client, all singletons. Unknown types and invalid settings fail here, before any I/O.
 */
export function createContainer(
  config: StoresConfig,
  adapters: readonly AdapterRegistration[],
  clientOptions: Partial<ClientOptions> = {},
): Container {
  const objectAdapter = pick(adapters, 'objectStore', config.objectStore);
  const metadataAdapter = pick(adapters, 'metadataStore', config.metadataStore);
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.StoresConfig).toConstantValue(config);
  container.bind(TOKENS.ClientOptions).toConstantValue(clientOptions);
  container.loadSync(
    objectAdapter.module(config.objectStore),
    metadataAdapter.module(config.metadataStore),
  );
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
