/**
 * @packageDocumentation One conformance suite per store interface (Go CDK's `drivertest`):
 * every adapter's test file calls `runObjectStoreConformance(harness)` or
 * `runMetadataStoreConformance(harness)` in one line. Each suite is a table of contents of
 * named groups (`OBJECT_STORE_GROUPS`, `METADATA_STORE_GROUPS`), each run on a fresh driver;
 * `expectSomError` is there for the adapter's own tests too.
 */
export * from './harness';
export { groupSlug, type Group, type GroupContext } from './groups';
export { expectSomError, somErrorOf } from './expect-som-error';
export * from './object-store';
export * from './metadata-store';
export { readAll } from './support';
