/** What the tests of de-identification share: a file scanned as the first pass does, and a run's settings. */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { readFileHeader } from '@som/dicom';
import { AliasTable, FileAliasLookup, LocalPseudonymiser, SecretKey } from '@som/identifiers';
import { IdentifierCollector } from '../../1-scan/identity';
import type { ScannedFile } from '../../1-scan/scan';
import { loadRecipe } from '../settings';

/** The file at `path` as the first pass scans it, and the identifiers it collected. */
export async function scanned(
  path: string,
): Promise<{ file: ScannedFile; collector: IdentifierCollector }> {
  const size = statSync(path).size;
  const collector = new IdentifierCollector();
  const header = await readFileHeader(path, size);
  const identity = collector.add(header);
  const headerBytes = header.byteLength;
  return {
    file: {
      path,
      absolute: path,
      relative: basename(path),
      size,
      index: 0,
      headerBytes,
      ...identity,
    },
    collector,
  };
}

/** A run's de-identification settings and aliases. */
export interface Context {
  aliases: FileAliasLookup;
  recipe: Awaited<ReturnType<typeof loadRecipe>>;
  key: SecretKey;
  hash: boolean;
}

/** The settings of a run with the key `key` (and the recipe file `recipeFile`), and the aliases of `collector`'s identifiers. */
export async function context(
  key: string,
  collector: IdentifierCollector,
  recipeFile?: string,
): Promise<Context> {
  const secret = SecretKey.from(key);
  const table = await AliasTable.fromSource(
    new LocalPseudonymiser({ key: secret }),
    collector.request(),
  );
  const aliases = new FileAliasLookup(table, []);
  return { recipe: await loadRecipe(recipeFile), aliases, key: secret, hash: true };
}
