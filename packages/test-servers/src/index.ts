/**
 * @packageDocumentation Start the real servers the tests need on 127.0.0.1 (stores, emulators, a Slurm cluster):
 * each module exports a `start...()` returning its address and a `stop()`.
 */
export * from './ports';
export * from './datastore';
export * from './gcs';
export * from './swift';
export * from './slurm';
