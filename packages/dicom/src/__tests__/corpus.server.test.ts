/**
 * Every file of pydicom's test corpus either de-identifies to a file that pydicom and
 * dcmdump both read back with the input's pixel bytes, or is rejected with its listed reason.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSomError, SomError } from '@som/core';
import { defaultRecipe, deidentify, isDicom, parseRecipe, readDicomHeader } from '..';
import { dcmdump, FIXTURES, PYDICOM_DATA, pydicomCheck, pydicomCorpus } from './checkers';

interface Expectations {
  notDicom: Record<string, string>;
  rejected: Record<string, string>;
}

const expectations = JSON.parse(
  readFileSync(join(FIXTURES, 'pydicom-corpus-expectations.json'), 'utf8'),
) as Expectations;

interface Outcome {
  input: string;
  dicom: boolean;
  output?: string;
  transferSyntax?: string;
  error?: unknown;
}

describe('pydicom test corpus', () => {
  const out = mkdtempSync(join(tmpdir(), 'som-corpus-'));
  const outcomes = new Map<string, Outcome>();

  beforeAll(() => {
    const recipe = defaultRecipe({});
    for (const file of pydicomCorpus()) {
      const input = join(PYDICOM_DATA, file);
      const bytes = readFileSync(input);
      const outcome: Outcome = { input, dicom: isDicom(bytes.subarray(0, 132)) };
      outcomes.set(file, outcome);
      if (!outcome.dicom) continue;
      try {
        const result = deidentify(bytes, {
          source: file,
          recipe,
          aliases: { entity: { id: 'p', id_source: 's', suid: 'ENTITY1', jitter: -12, items: [] } },
          uidKey: 'corpus-key',
        });
        outcome.output = join(out, file.replace(/\//g, '__'));
        outcome.transferSyntax = readDicomHeader(bytes, file).transferSyntax.uid;
        writeFileSync(outcome.output, result.bytes);
      } catch (err) {
        outcome.error = err;
      }
    }
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const written = (): [string, Outcome & { output: string }][] =>
    [...outcomes].filter(
      (e): e is [string, Outcome & { output: string }] => e[1].output !== undefined,
    );

  it('recognises DICOM by content: exactly the listed files are not DICOM', () => {
    const notDicom = [...outcomes].filter(([, o]) => !o.dicom).map(([f]) => f);
    expect(notDicom.sort()).toEqual(Object.keys(expectations.notDicom).sort());
  });

  it('de-identifies every DICOM file but the listed ones, which fail closed with their reason', () => {
    const failures: string[] = [];
    for (const [file, o] of outcomes) {
      if (!o.dicom) continue;
      const reason = expectations.rejected[file];
      if (reason === undefined && o.error !== undefined)
        failures.push(`${file} fails: ${String(o.error)}`);
      if (reason !== undefined && o.error === undefined)
        failures.push(`${file} now de-identifies: remove it from the list`);
      if (reason !== undefined && o.error !== undefined) {
        if (!isSomError(o.error, 'InvalidArgument'))
          failures.push(`${file}: not a SomError InvalidArgument: ${String(o.error)}`);
        else if (!o.error.message.includes(reason) || !o.error.message.startsWith(file)) {
          failures.push(`${file}: reason ${JSON.stringify((o.error as SomError).message)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(written().length).toBeGreaterThanOrEqual(150);
  });

  it('writes files that pydicom reads back, with the input pixel bytes and transfer syntax', () => {
    const files = written();
    const inputs = pydicomCheck(
      files.map(([, o]) => o.input),
      true,
    );
    const outputs = pydicomCheck(files.map(([, o]) => o.output));
    const failures: string[] = [];
    let comparedPixels = 0;
    for (const [file, o] of files) {
      const before = inputs.get(o.input);
      const after = outputs.get(o.output);
      if (!after?.ok) {
        failures.push(`${file}: pydicom cannot read the output: ${after?.error}`);
        continue;
      }
      if (after.transferSyntax !== o.transferSyntax)
        failures.push(`${file}: transfer syntax ${after.transferSyntax}`);
      if (before?.ok && before.pixels !== after.pixels)
        failures.push(`${file}: pixel data differs`);
      if (before?.ok && before.pixels) comparedPixels++;
    }
    expect(failures).toEqual([]);
    expect(comparedPixels).toBeGreaterThanOrEqual(90);
  });

  it('writes files that dcmdump reads back, with the input pixel bytes', () => {
    const failures: string[] = [];
    let comparedPixels = 0;
    for (const [file, o] of written()) {
      const after = dcmdump(o.output);
      if (!after.ok) {
        failures.push(
          `${file}: dcmdump: ${after.output
            .split('\n')
            .filter((l) => /^[EFW]:/.test(l))
            .join(' | ')}`,
        );
        continue;
      }
      const before = dcmdump(o.input);
      if (before.ok && before.pixels !== after.pixels) failures.push(`${file}: pixel data differs`);
      if (before.ok && before.pixels) comparedPixels++;
    }
    expect(failures).toEqual([]);
    expect(comparedPixels).toBeGreaterThanOrEqual(90);
  });

  it('names the file and never leaks the value in the reason of a user-recipe failure', () => {
    const bytes = readFileSync(join(PYDICOM_DATA, 'test_files/CT_small.dcm'));
    const recipe = parseRecipe(
      'FORMAT dicom\n%header\nREPLACE PatientName func:boolean\n',
      'bad.recipe',
    );
    const run = () =>
      deidentify(bytes, {
        source: 'CT_small.dcm',
        recipe,
        aliases: { entity: { id: 'p', id_source: 's', suid: 'E', jitter: 1, items: [] } },
        uidKey: 'k',
        functions: { boolean: () => true },
      });
    expect(run).toThrow(/^CT_small\.dcm: PatientName \(0010,0010\) \(bad\.recipe line 3\)/);
    expect(run).not.toThrow(/CompressedSamples/);
  });
});
