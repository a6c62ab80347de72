#!/usr/bin/env node
/**
 * `som-datastore-indexes [--fields A,B,...] [--kinds Image,Entity] [--descending] [--no-pairs] [--out index.yaml]`:
 * write the composite indexes som's searches need (default fields: the searchable DICOM
 * searchable fields of image records; default output: stdout). Deploy with `gcloud datastore indexes create index.yaml`.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorMessage } from '@som/core';
import { DEFAULT_SEARCHABLE_FIELDS, compositeIndexes, indexYaml } from '../indexes';

const list = (text: string | undefined): string[] | undefined =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

try {
  const { values } = parseArgs({
    options: {
      fields: { type: 'string' },
      kinds: { type: 'string' },
      descending: { type: 'boolean', default: false },
      'no-pairs': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const yaml = indexYaml(
    compositeIndexes({
      fields: list(values.fields) ?? DEFAULT_SEARCHABLE_FIELDS,
      kinds: list(values.kinds) ?? ['Image'],
      descending: values.descending,
      pairs: !values['no-pairs'],
    }),
  );
  if (values.out) writeFileSync(values.out, yaml);
  else process.stdout.write(yaml);
} catch (err) {
  process.stderr.write(`som-datastore-indexes: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
