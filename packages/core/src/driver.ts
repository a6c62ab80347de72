/**
 * @packageDocumentation What an adapter author needs (`@som/core/driver`): the driver
 * interfaces, their options and capabilities, the error codes a driver maps its native
 * errors to, the listing and query semantics every driver shares, the store configuration,
 * and the in-memory reference drivers. No dependency injection is loaded.
 */
export * from './errors';
export * from './store-config';
export * from './settings';
export * from './object-store/driver';
export * from './object-store/listing';
export * from './object-store/memory';
export * from './metadata-store/driver';
export * from './metadata-store/semantics';
export * from './metadata-store/memory';
