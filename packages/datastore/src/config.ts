/**
 * Settings of the Google Cloud Datastore adapter (`"metadataStore": {"type": "datastore", ...}`).
 */
import { SomError, integerSetting, stringSetting, type StoreConfig } from '@som/core';

/** Settings of a {@link DatastoreMetadataDriver}. */
export interface DatastoreConfig {
  /** The project (default: `DATASTORE_PROJECT_ID`, then the credentials' project). */
  projectId?: string;
  /** A namespace to keep som's records apart (default: the default namespace). */
  namespace?: string;
  /**
   * Another endpoint, e.g. the emulator's `http://127.0.0.1:8081` (default:
   * `DATASTORE_EMULATOR_HOST`, then Google's).
   */
  apiEndpoint?: string;
  /** The emulator's `host:port`, as in `DATASTORE_EMULATOR_HOST` (an alternative to `apiEndpoint`). */
  emulatorHost?: string;
  /** A service-account key or ADC JSON file (default: `GOOGLE_APPLICATION_CREDENTIALS`, then ADC). */
  keyFilename?: string;
  /** Longest time in ms for one attempt of a call (default 60,000). */
  timeoutMs?: number;
  /**
   * Retries of a call that met an unavailable server, or of a commit that met contention
   * (ABORTED); reads are retried by the client library, commits of upserts and deletes by
   * the driver (default 5).
   */
  maxRetries?: number;
}

const NAMESPACE = /^[0-9A-Za-z._-]{1,100}$/;
const HOST_PORT = /^[^/:\s]+:\d{1,5}$/;

/** The adapter's settings from a store configuration; InvalidArgument naming each bad one. */
export function datastoreConfigOf(config: StoreConfig): DatastoreConfig {
  const namespace = stringSetting(config, 'namespace');
  if (namespace !== undefined && (!NAMESPACE.test(namespace) || /^__.*__$/.test(namespace))) {
    throw new SomError(
      'InvalidArgument',
      `datastore setting "namespace" ${JSON.stringify(namespace)}: use 1-100 of A-Z a-z 0-9 . _ - (not __name__)`,
    );
  }
  const apiEndpoint = stringSetting(config, 'apiEndpoint');
  const emulatorHost = stringSetting(config, 'emulatorHost');
  if (apiEndpoint !== undefined && emulatorHost !== undefined) {
    throw new SomError(
      'InvalidArgument',
      'datastore settings "apiEndpoint" and "emulatorHost" exclude each other',
    );
  }
  if (emulatorHost !== undefined && !HOST_PORT.test(emulatorHost)) {
    throw new SomError(
      'InvalidArgument',
      `datastore setting "emulatorHost" must be host:port, e.g. 127.0.0.1:8081`,
    );
  }
  return {
    projectId: stringSetting(config, 'projectId'),
    namespace,
    apiEndpoint,
    emulatorHost,
    keyFilename: stringSetting(config, 'keyFilename'),
    timeoutMs: integerSetting(config, 'timeoutMs', 1),
    maxRetries: integerSetting(config, 'maxRetries', 0),
  };
}
