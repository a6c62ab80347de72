/**
 * `som rm <collection> [<entity> [<image>]]`: remove an image, an entity with its images, or
 * (with `--recursive`) a whole collection; objects first, then records. `--dry-run` says
 * what would be removed.
 */
import type { Command } from 'commander';
import { SomError } from '@som/core';
import { removeFromDataset, type RemoveTarget } from '@som/publish';
import { counted } from '../io/words';
import { EXIT, type Runtime } from '../runtime';
import { configFor, withClient, type GlobalOptions } from './common';

interface RmOptions extends GlobalOptions {
  dryRun?: boolean;
  recursive?: boolean;
  json?: boolean;
}

function describeTarget(target: RemoveTarget): string {
  if (target.image !== undefined)
    return `image ${target.collection}/${target.entity ?? ''}/${target.image}`;
  if (target.entity !== undefined) return `entity ${target.collection}/${target.entity}`;
  return `collection ${target.collection}`;
}

async function rm(runtime: Runtime, target: RemoveTarget, options: RmOptions): Promise<number> {
  const dryRun = options.dryRun === true;
  if (target.entity === undefined && options.recursive !== true && !dryRun)
    throw new SomError(
      'InvalidArgument',
      `removing the whole collection ${target.collection} needs --recursive (--dry-run shows what it holds)`,
    );
  return withClient(configFor(runtime, options), async (client) => {
    const removal = await removeFromDataset(client, target, { dryRun });
    if (options.json) runtime.output.json({ ...target, dryRun, ...removal });
    const what = [
      ...(target.image === undefined ? [counted(removal.entities, 'entity', 'entities')] : []),
      counted(removal.images, 'image', 'images'),
    ].join(', ');
    const line = `${dryRun ? 'would remove' : 'removed'} ${describeTarget(target)}: ${what}`;
    if (options.json) runtime.output.message(`som: ${line}`);
    else runtime.output.line(line);
    return EXIT.ok;
  });
}

/** Add `som rm` to `program`; `done` receives the exit code. */
export function registerRm(program: Command, runtime: Runtime, done: (code: number) => void): void {
  program
    .command('rm')
    .description(
      'remove an image, an entity with its images, or a collection with everything in it (objects first, then records)',
    )
    .argument('<collection>', 'a collection uid')
    .argument('[entity]', 'an entity uid: remove it and its images')
    .argument('[image]', 'an image uid: remove only this image')
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('--recursive', 'needed to remove a whole collection (not for --dry-run)')
    .option('--json', 'print what was (or would be) removed as JSON')
    .action(
      async (
        collection: string,
        entity: string | undefined,
        image: string | undefined,
        _options: RmOptions,
        command: Command,
      ) => {
        const target: RemoveTarget = {
          collection,
          ...(entity !== undefined ? { entity } : {}),
          ...(image !== undefined ? { image } : {}),
        };
        done(await rm(runtime, target, command.optsWithGlobals<RmOptions>()));
      },
    );
}
