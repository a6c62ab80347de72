/**
 * `som get <collection> <entity> [<image>] --out <dir>`: download an entity's images (to
 * `<dir>/<entity>/<image>.dcm`) or one image (to `<dir>/<image>.dcm`), checking each file's
 * MD5 against its record and writing it atomically. Files already there with the right MD5
 * are left alone.
 */
import { resolve, join } from 'node:path';
import type { Command } from 'commander';
import {
  SomError,
  imageRefOf,
  mapBounded,
  toSomError,
  type Client,
  type ImageRecord,
} from '@som/core';
import { md5OfFile, writeFileAtomically } from '@som/publish';
import { startProgress } from '../io/progress';
import { EXIT, type Runtime } from '../runtime';
import { configFor, withClient, type GlobalOptions } from './common';

interface GetOptions extends GlobalOptions {
  out: string;
  concurrency?: string;
  json?: boolean;
}

/** What happened to one image. */
interface GetResult {
  image: string;
  path: string;
  size: number;
  outcome: 'written' | 'unchanged' | 'failed';
  reason?: string;
}

async function download(client: Client, record: ImageRecord, path: string): Promise<GetResult> {
  const base = { image: record.uid, path, size: record.data.size };
  try {
    if ((await md5OfFile(path)) === record.data.md5) return { ...base, outcome: 'unchanged' };
    const bytes = await client.readImage(imageRefOf(record));
    await writeFileAtomically(path, bytes, ({ md5 }) => {
      if (md5 !== record.data.md5)
        throw new SomError(
          'Internal',
          `downloaded bytes have md5 ${md5}, the record says ${record.data.md5}`,
        );
    });
    return { ...base, outcome: 'written' };
  } catch (err) {
    return { ...base, outcome: 'failed', reason: toSomError(err, `image ${record.uid}`).message };
  }
}

async function get(
  runtime: Runtime,
  collection: string,
  entity: string,
  image: string | undefined,
  options: GetOptions,
): Promise<number> {
  const config = configFor(runtime, options);
  const out = resolve(runtime.cwd, options.out);
  return withClient(config, async (client) => {
    const records: ImageRecord[] = [];
    if (image !== undefined) records.push(await client.getImage({ collection, entity, image }));
    else {
      await client.getEntity({ collection, entity });
      for await (const record of client.listImages({ collection, entity })) records.push(record);
    }
    const dir = image === undefined ? join(out, entity) : out;
    const progress = startProgress(
      runtime.output,
      'get',
      records.length,
      records.reduce((sum, r) => sum + r.data.size, 0),
    );
    const results: GetResult[] = [];
    try {
      for await (const result of mapBounded(
        records,
        config.concurrency,
        (r) => download(client, r, join(dir, `${r.uid}.dcm`)),
        runtime.signal,
      )) {
        results.push(result);
        progress.advance(result.size);
        if (result.outcome === 'failed')
          progress.message(`failed  ${result.image}: ${result.reason}`);
        else if (!options.json && !runtime.output.interactive)
          runtime.output.line(`${result.outcome}  ${result.path}`);
      }
    } finally {
      progress.stop();
    }
    const failed = results.filter((r) => r.outcome === 'failed').length;
    const notStarted = records.length - results.length;
    if (options.json) runtime.output.json(results);
    runtime.output.message(
      `som: ${results.length - failed} of ${records.length} images in ${dir}${failed ? `, ${failed} failed` : ''}${notStarted ? `, ${notStarted} not started (interrupted)` : ''}`,
    );
    return failed > 0 || notStarted > 0 ? EXIT.failed : EXIT.ok;
  });
}

/** Add `som get` to `program`; `done` receives the exit code. */
export function registerGet(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('get')
    .description(
      'download the images of an entity (to <dir>/<entity>/<image>.dcm) or one image (to <dir>/<image>.dcm), checking MD5s',
    )
    .argument('<collection>', 'collection uid')
    .argument('<entity>', 'entity uid')
    .argument('[image]', 'image uid (default: every image of the entity)')
    .requiredOption('--out <dir>', 'directory to write to (created when missing)')
    .option('--concurrency <n>', 'images downloaded at once (default: the configured concurrency)')
    .option(
      '--json',
      'print a JSON report: per image its path and outcome (written, unchanged, failed) and reason',
    )
    .action(
      async (
        collection: string,
        entity: string,
        image: string | undefined,
        _options: GetOptions,
        command: Command,
      ) => {
        done(await get(runtime, collection, entity, image, command.optsWithGlobals<GetOptions>()));
      },
    );
}
