/**
 * @packageDocumentation Test support shared by the packages: the real servers the tests
 * need on 127.0.0.1 (stores, emulators, a one-node Slurm cluster; each `start...()` returns
 * its address and a `stop()`), a fake DASHER service, `expectSomError`, and running as an unprivileged user.
 */
export * from './ports';
export * from './datastore';
export * from './gcs';
export * from './swift';
export * from './slurm';
export * from './fake-dasher';
export * from './expect-som-error';
export * from './unprivileged';
