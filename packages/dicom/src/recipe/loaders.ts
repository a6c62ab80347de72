/**
 * Loading what a command line brings to a recipe: a module of `func:` functions, and a
 * table of `var:` variables per entity (by the file's original PatientID) or per file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { SomError, parseJson } from '@som/core';
import type { DicomHeader } from '../header';
import type { RecipeFunction } from './types';

/**
 * The functions a JavaScript module exports, by name (named exports, and the properties of
 * a default export object), for `func:<name>`. CommonJS and ES modules (Node 20.19 loads
 * both with `require`). Each is called with deid's arguments in one object: `item`,
 * `value`, `field`, `dataset` (see `RecipeFunctionContext`).
 */
export function loadRecipeFunctions(modulePath: string): Record<string, RecipeFunction> {
  const path = resolve(modulePath);
  let loaded: unknown;
  try {
    loaded = createRequire(__filename)(path);
  } catch (err) {
    throw new SomError(
      'InvalidArgument',
      `${modulePath}: cannot load the functions module: ${(err as Error).message.split('\n')[0] ?? ''}`,
      { cause: err },
    );
  }
  const functions: Record<string, RecipeFunction> = {};
  const collect = (source: unknown): void => {
    if ((typeof source !== 'object' && typeof source !== 'function') || source === null) return;
    for (const [name, value] of Object.entries(source)) {
      if (typeof value === 'function') functions[name] = value as RecipeFunction;
    }
  };
  collect(loaded);
  collect((loaded as { default?: unknown } | null)?.default);
  if (Object.keys(functions).length === 0)
    throw new SomError('InvalidArgument', `${modulePath}: the module exports no function`);
  return functions;
}

/** Variables for `var:` per entity and per file (a file's row adds to, and wins over, its entity's). */
export interface RecipeVariableTable {
  /** Rows by the entity's original PatientID. */
  readonly entities: ReadonlyMap<string, Readonly<Record<string, string | number>>>;
  /** Rows by file path, as the run names the file. */
  readonly files: ReadonlyMap<string, Readonly<Record<string, string | number>>>;
  /** Every variable name of the table (a recipe may use them for files whose rows lack them: they decline). */
  readonly names: readonly string[];
}

/**
 * Read a variables file: JSON `{"entities": {"<PatientID>": {"name": value}}, "files":
 * {"<path>": {...}}}`, or CSV with a header row whose first column is `entity` or `file`
 * (or both, one filled per row) and one column per variable. Values are text (numbers
 * stay numbers in JSON). A malformed file is a SomError naming it and the line or key.
 */
export async function loadRecipeVariables(path: string): Promise<RecipeVariableTable> {
  const text = await readFile(path, 'utf8');
  const table = extname(path).toLowerCase() === '.csv' ? fromCsv(text, path) : fromJson(text, path);
  const names = new Set<string>();
  for (const rows of [table.entities, table.files])
    for (const row of rows.values()) for (const name of Object.keys(row)) names.add(name);
  return { ...table, names: [...names] };
}

/** The variables of one file: its entity's row (by the original PatientID), then its own row. */
export function variablesFor(
  table: RecipeVariableTable,
  file: { readonly path: string; readonly header: DicomHeader },
): Record<string, string | number> {
  const entity = file.header.string('PatientID');
  return {
    ...(entity === undefined ? {} : table.entities.get(entity)),
    ...table.files.get(file.path),
  };
}

type Rows = Map<string, Record<string, string | number>>;

function fromJson(text: string, path: string): { entities: Rows; files: Rows } {
  const data = parseJson(text, path);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new SomError(
      'InvalidArgument',
      `${path}: expected an object with "entities" and/or "files"`,
    );
  const known = new Set(['entities', 'files']);
  Object.keys(data).forEach((key, index) => {
    if (!known.has(key))
      throw new SomError(
        'InvalidArgument',
        `${path}: key ${index + 1} is none of "entities" and "files"`,
      );
  });
  const rowsOf = (key: 'entities' | 'files'): Rows => {
    const rows: Rows = new Map();
    const section = (data as Record<string, unknown>)[key] ?? {};
    if (typeof section !== 'object' || section === null || Array.isArray(section))
      throw new SomError('InvalidArgument', `${path}: "${key}" must be an object`);
    // Rows are named by their position: their keys are PatientIDs and paths.
    Object.entries(section).forEach(([id, row], index) => {
      const where = `${path}: ${key} row ${index + 1}`;
      if (typeof row !== 'object' || row === null || Array.isArray(row))
        throw new SomError('InvalidArgument', `${where} must be an object of variables`);
      const values: Record<string, string | number> = {};
      for (const [name, value] of Object.entries(row)) {
        if (typeof value !== 'string' && typeof value !== 'number')
          throw new SomError('InvalidArgument', `${where}: ${name} must be text or a number`);
        values[name] = value;
      }
      rows.set(id, values);
    });
    return rows;
  };
  return { entities: rowsOf('entities'), files: rowsOf('files') };
}

function fromCsv(text: string, path: string): { entities: Rows; files: Rows } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const [head, ...body] = lines.map((line, i) => parseCsvLine(line, `${path} line ${i + 1}`));
  if (!head) throw new SomError('InvalidArgument', `${path}: empty CSV`);
  const entityColumn = head.indexOf('entity');
  const fileColumn = head.indexOf('file');
  if (entityColumn < 0 && fileColumn < 0)
    throw new SomError(
      'InvalidArgument',
      `${path} line 1: the header needs an "entity" or a "file" column`,
    );
  const entities: Rows = new Map();
  const files: Rows = new Map();
  body.forEach((cells, i) => {
    const where = `${path} line ${i + 2}`;
    if (cells.length !== head.length)
      throw new SomError(
        'InvalidArgument',
        `${where}: ${cells.length} columns, the header has ${head.length}`,
      );
    const values: Record<string, string> = {};
    head.forEach((name, c) => {
      if (c !== entityColumn && c !== fileColumn && cells[c] !== '') values[name] = cells[c] ?? '';
    });
    const entity = entityColumn >= 0 ? cells[entityColumn] : '';
    const file = fileColumn >= 0 ? cells[fileColumn] : '';
    if ((entity === '') === (file === ''))
      throw new SomError('InvalidArgument', `${where}: fill exactly one of "entity" and "file"`);
    if (entity) entities.set(entity, values);
    else if (file) files.set(file, values);
  });
  return { entities, files };
}

/** One CSV line: fields separated by commas, optionally in double quotes (`""` inside quotes is a quote). */
function parseCsvLine(line: string, where: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new SomError('InvalidArgument', `${where}: unclosed quote`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += line[i++];
      }
    } else {
      while (i < line.length && line[i] !== ',') cell += line[i++];
      cell = cell.trim();
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    if (line[i] !== ',')
      throw new SomError('InvalidArgument', `${where}: text after a closing quote`);
    i++;
  }
}
