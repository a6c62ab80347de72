/**
 * @packageDocumentation Test support shared by the packages: the real servers the adapter
 * tests need on 127.0.0.1 (each `start...()` returns its address and a `stop()`), a fake
 * DASHER service, `expectSomError`, and running as an unprivileged user.
 */
export * from './ports';
export * from './datastore';
export * from './gcs';
export * from './swift';
export * from './fake-dasher';
export * from './expect-som-error';
export * from './unprivileged';
