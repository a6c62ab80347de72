/** @packageDocumentation Aliases for identifiers: DASHER shapes, the DASHER client and a local keyed pseudonymiser. */
export * from './types';
export * from './keyed';
export { KeyTooShortError, MIN_KEY_LENGTH, SecretKey, redact, REDACTED } from './secret';
export {
  InvalidDasherResponseError,
  MAX_JITTER_DAYS,
  MAX_REPORTED_PROBLEMS,
  parseDasherResponse,
  readDasherResponseFile,
} from './response';
export { normaliseDasherRequest } from './request';
export { AliasTable, type EntityAlias, type ItemAlias } from './alias-table';
export { isIsoTimestamp, shiftTimestamp } from './timestamp';
export { itemLevelOfSource, ITEM_LEVELS, type FileKeys, type ItemLevel } from './file-keys';
export {
  AmbiguousItemError,
  FileAliasLookup,
  type FileAliases,
  type FileAliasLookupOptions,
} from './file-aliases';
export {
  DasherRequestBuilder,
  DEFAULT_ID_SOURCES,
  DEFAULT_ITEM_LEVEL,
  type DasherRequestBuilderOptions,
  type FileIdentifiers,
  type IdentifierDetails,
} from './request-builder';
export {
  checkCollectionKey,
  CollectionKeyMismatchError,
  collectionKeyStamp,
  keyFingerprint,
  type CollectionKeyDifference,
  type CollectionKeyStamp,
} from './collection-key';
export { loadOrCreateKey, type LoadKeyOptions } from './key-file';
export {
  ALIAS_LENGTH,
  DEFAULT_JITTER_DAYS,
  LocalPseudonymiser,
  type JitterRange,
  type LocalPseudonymiserOptions,
} from './pseudonymiser';
export { DASHER_SECRETS_ENV, dasherSecretsPathFromEnv } from './dasher-secrets';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from '@som/core';
export {
  DEFAULT_BATCH_LIMITS,
  mergeDasherResponses,
  splitDasherRequest,
  type BatchLimits,
} from './batch';
export {
  DasherClient,
  DEFAULT_DASHER_BASE_URL,
  DEFAULT_DASHER_TIMEOUT_MS,
  type DasherClientOptions,
  type DasherClientStats,
} from './dasher-client';
