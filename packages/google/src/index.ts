/**
 * @packageDocumentation What the Google adapters (Cloud Storage and Datastore) share: their
 * credentials, read from a key file or `GOOGLE_APPLICATION_CREDENTIALS` with one clear error
 * that never quotes the file.
 */
export * from './credentials';
