/**
 * @packageDocumentation The `som` command: it parses the command line, opens the stores, calls
 * the libraries (`@som/publish`, `@som/serve`, `@som/core`) and prints.
 */
export { main, buildProgram, VERSION, type MainOptions } from './program';
export { EXIT, Interrupts, type Runtime } from './runtime';
export { Output } from './io/output';
