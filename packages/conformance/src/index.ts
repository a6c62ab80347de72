/**
 * @packageDocumentation One conformance suite per store interface (Go CDK's `drivertest`):
 * every adapter's test file calls `runObjectStoreConformance(harness)` or
 * `runMetadataStoreConformance(harness)` in one line.
 */
export * from './harness';
export * from './object-store';
export * from './metadata-store';
export { md5Hex, readAll } from './support';
