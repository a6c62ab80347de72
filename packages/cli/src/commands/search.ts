/**
 * `som search [FIELD=VALUE | FIELD>VALUE ...] [--kind] [--collection] [--entity] [--limit]`:
 * records matching every term (see `parseSearchTerm` of @som/core for how values are typed).
 */
import type { Command } from 'commander';
import {
  DEFAULT_SEARCH_LIMIT,
  SEARCH_TERM_SYNTAX,
  SearchResults,
  parseSearchTerm,
  searchKind,
  type SearchInput,
} from '@som/core';
import { fieldType } from '@som/dicom';
import { printRecords } from '../io/records';
import { EXIT, type Runtime } from '../runtime';
import { configFor, positiveInteger, withClient, type GlobalOptions } from './common';

interface SearchOptions extends GlobalOptions {
  kind: string;
  collection?: string;
  entity?: string;
  limit: string;
  json?: boolean;
}

async function search(runtime: Runtime, terms: string[], options: SearchOptions): Promise<number> {
  const kind = searchKind(options.kind);
  const limit = positiveInteger(options.limit, '--limit');
  const filters = terms.map((term) => parseSearchTerm(term, fieldType));
  const input: SearchInput = {
    kind,
    filters,
    ...(options.collection !== undefined ? { collection: options.collection } : {}),
    ...(options.entity !== undefined ? { entity: options.entity } : {}),
  };
  return withClient(configFor(runtime, options), async (client) => {
    const results = new SearchResults(client, input, limit);
    const count = await printRecords(runtime.output, results, options.json === true);
    if (await results.more())
      runtime.output.message(`som: showing the first ${count} matches; more match (raise --limit)`);
    else if (!options.json)
      runtime.output.message(`som: ${count} ${count === 1 ? 'match' : 'matches'}`);
    return EXIT.ok;
  });
}

/** Add `som search` to `program`; `done` receives the exit code. */
export function registerSearch(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('search')
    .description('find records whose fields match every term')
    .argument(
      '[terms...]',
      `${SEARCH_TERM_SYNTAX}; all must hold; at most one field compared by range`,
    )
    .option('--kind <kind>', 'image, entity or collection', 'image')
    .option('--collection <uid>', 'only within this collection')
    .option('--entity <uid>', 'only within this entity (needs --collection)')
    .option('--limit <n>', 'print at most this many records', String(DEFAULT_SEARCH_LIMIT))
    .option('--json', 'print a JSON array of records (each with its uid and fields)')
    .addHelpText(
      'after',
      `
Values are typed, because the metadata store never compares a number with a string:
  a value in double quotes is a string:        som search 'StudyDate="20100101"'
  a known field gets its type (DICOM VR):      som search StudyDate=20100101 Rows=512
  otherwise a number is a number, true/false are booleans, null is null, the rest strings.
Examples:
  som search Modality=CT
  som search --collection demo Modality=MR 'SeriesDescription=T1 axial'
  som search --kind entity NumberOfImages'>'2`,
    )
    .action(async (terms: string[], _options: SearchOptions, command: Command) => {
      done(await search(runtime, terms, command.optsWithGlobals<SearchOptions>()));
    });
}
