/**
 * @packageDocumentation The model, names, errors, store interfaces, the portable layer and
 * the Client. Loading it has no side effects: dependency injection is `@som/core/di`, and
 * what an adapter author needs is `@som/core/driver`.
 */
export * from './errors';
export * from './names';
export * from './model';
export * from './concurrency';
export * from './retry';
export { parseJson, isJsonObject } from './json-text';
export * from './search-terms';
export * from './object-store/driver';
export * from './object-store/object-store';
export * from './object-store/listing';
export * from './object-store/memory';
export * from './metadata-store/driver';
export * from './metadata-store/metadata-store';
export * from './metadata-store/semantics';
export * from './metadata-store/memory';
export * from './client/image-source';
export * from './client/client';
export * from './client/verify';
export * from './store-config';
export * from './settings';
