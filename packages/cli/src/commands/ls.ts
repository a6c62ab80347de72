/**
 * `som ls [<collection> [<entity>]]`: the collections, the entities of a collection, or the
 * images of an entity.
 */
import type { Command } from 'commander';
import { listRecords } from '@som/core';
import { printRecords } from '../io/records';
import { EXIT, type Runtime } from '../runtime';
import { configFor, withClient, type GlobalOptions } from './common';

interface LsOptions extends GlobalOptions {
  json?: boolean;
}

async function ls(
  runtime: Runtime,
  collection: string | undefined,
  entity: string | undefined,
  options: LsOptions,
): Promise<number> {
  return withClient(configFor(runtime, options), async (client) => {
    const records = await listRecords(client, {
      ...(collection !== undefined ? { collection } : {}),
      ...(entity !== undefined ? { entity } : {}),
    });
    await printRecords(runtime.output, records, options.json === true);
    return EXIT.ok;
  });
}

/** Add `som ls` to `program`; `done` receives the exit code. */
export function registerLs(program: Command, runtime: Runtime, done: (code: number) => void): void {
  program
    .command('ls')
    .description('list the collections, the entities of a collection, or the images of an entity')
    .argument('[collection]', 'a collection uid: list its entities')
    .argument('[entity]', 'an entity uid: list its images')
    .option('--json', 'print a JSON array of records (each with its uid and fields)')
    .action(
      async (
        collection: string | undefined,
        entity: string | undefined,
        _options: LsOptions,
        command: Command,
      ) => {
        done(await ls(runtime, collection, entity, command.optsWithGlobals<LsOptions>()));
      },
    );
}
