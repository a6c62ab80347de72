/** @packageDocumentation Aliases for identifiers: DASHER shapes, the DASHER client and a local keyed pseudonymiser. */
export * from './types';
export * from './keyed';
export { SecretKey, redact, REDACTED } from './secret';
export {
  InvalidDasherResponseError,
  MAX_JITTER_DAYS,
  MAX_REPORTED_PROBLEMS,
  parseDasherResponse,
  readDasherResponseFile,
} from './response';
export { normaliseDasherRequest } from './request';
export { AliasTable, type EntityAlias, type ItemAlias } from './alias-table';
export { shiftTimestamp } from './timestamp';
export { loadOrCreateKey, MIN_KEY_FILE_LENGTH, type LoadKeyOptions } from './key-file';
export {
  ALIAS_LENGTH,
  DEFAULT_JITTER_DAYS,
  LocalPseudonymiser,
  type JitterRange,
  type LocalPseudonymiserOptions,
} from './pseudonymiser';
