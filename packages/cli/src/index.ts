/** @packageDocumentation The `som` command: configuration, the upload and deid pipelines, and the commands. */
export { main, buildProgram, VERSION, type MainOptions } from './program';
export { EXIT, Interrupts, type Runtime } from './runtime';
export { Output } from './io/output';
export {
  parseSearchTerm,
  parseAssignment,
  searchValue,
  SEARCH_TERM_SYNTAX,
  type FieldType,
  type FieldTypes,
} from './search-terms';
export { fieldType } from './field-types';
