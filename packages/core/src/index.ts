/** @packageDocumentation The model, names, errors, store interfaces, the portable layer, the Client and DI. */
export * from './errors';
export * from './names';
export * from './model';
export * from './concurrency';
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
export * from './di';
