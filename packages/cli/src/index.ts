/** @packageDocumentation The `som` command: configuration, the upload and deid pipelines, and the commands. */
export { main, buildProgram, VERSION, type MainOptions } from './program';
export { EXIT, Interrupts, type Runtime } from './runtime';
export { ADAPTERS, findAdapter, adapterTypes, type AdapterEntry } from './adapters';
export { loadConfig, ConfigError, type ConfigInput } from './config/load';
export { parseJson } from './config/json-text';
export * from './config/types';
export { SecretValue } from './config/secret-value';
export { Output } from './io/output';
export { Secrets, REDACTION, MIN_REDACTED_LENGTH } from './io/secrets';
export {
  walkInputs,
  type InputFile,
  type InputProblem,
  type WalkEntry,
  type WalkOptions,
} from './io/walk';
export {
  parseSearchTerm,
  parseAssignment,
  searchValue,
  SEARCH_TERM_SYNTAX,
  type FieldType,
  type FieldTypes,
} from './search-terms';
export { fieldType } from './field-types';
export {
  Report,
  JsonReportSink,
  JsonReportFile,
  SUCCESS_OUTCOMES,
  summaryLine,
  entryLine,
  type FileOutcome,
  type FileReport,
  type ReportSink,
  type ReportSummary,
  type OutcomeCounts,
} from './pipeline/report';
export {
  readFileHeader,
  readHeaderIfDicom,
  readStreamHeader,
  readHeaderFromPrefixes,
} from './pipeline/header';
export { imageFieldsReader } from './pipeline/searchable';
