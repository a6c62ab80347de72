/**
 * The PHI-leak test: realistic identified corpora (make_corpus.py, and make_phi_corpus.py
 * with multi-byte character sets, nested sequences, private blocks, file meta, DT values and
 * every transfer syntax) are de-identified with the default profile; no name, ID, date, UID
 * or private value of any input may appear anywhere in any output, in any encoding; aliases
 * and remapped UIDs must be consistent across files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { remapUid } from '@som/identifiers';
import type { DasherResponse } from '@som/identifiers';
import {
  aliasesFor,
  defaultRecipe,
  deidentify,
  getIdentifiers,
  readDicomHeader,
  type DeidResult,
} from '..';
import { FIXTURES, PYTHON, pydicomCheck, walk } from './checkers';

const KEY = 'phi-test-key';
const JITTERS = [-37, 53, -101, 29, -211];

interface Case {
  input: string;
  name: string;
  output: string;
  result: DeidResult;
}

/** One pattern of phi_patterns.py: a label, the bytes, how to match them, and whether the file holds exactly these bytes. */
type Pattern = [label: string, hex: string, kind: 'text' | 'uid' | 'date', stored: boolean];

function phiPatterns(paths: string[]): Map<string, Pattern[]> {
  const stdout = execFileSync(
    PYTHON,
    ['-W', 'ignore', join(FIXTURES, 'phi_patterns.py'), ...paths],
    {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    },
  );
  const out = new Map<string, Pattern[]>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const { path, patterns } = JSON.parse(line) as { path: string; patterns: Pattern[] };
    out.set(path, patterns);
  }
  return out;
}

const isDigitOrDot = (b: number | undefined) =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || b === 0x2e);

/** Where `pattern` occurs in `bytes`; a date inside a longer digit string (a UID) does not count. */
function occurs(bytes: Buffer, pattern: Buffer, kind: Pattern[2]): boolean {
  let at = bytes.indexOf(pattern);
  while (at >= 0) {
    if (kind !== 'date') return true;
    if (!isDigitOrDot(bytes[at - 1]) && !isDigitOrDot(bytes[at + pattern.length])) return true;
    at = bytes.indexOf(pattern, at + 1);
  }
  return false;
}

describe('PHI leak test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'som-phi-'));
  const cases: Case[] = [];
  const failures: string[] = [];
  let response: DasherResponse;

  beforeAll(() => {
    const realistic = join(dir, 'realistic');
    const hostile = join(dir, 'hostile');
    execFileSync(PYTHON, [
      join(FIXTURES, 'make_corpus.py'),
      ...['--out', realistic, '--patients', '2', '--studies', '1', '--images', '2', '--size', '64'],
      ...['--large-patients', '1', '--large-images', '2'],
    ]);
    execFileSync(PYTHON, [join(FIXTURES, 'make_phi_corpus.py'), '--out', hostile]);
    const inputs = walk(dir).filter((f) => f.endsWith('.dcm'));
    const headers = inputs.map((input) => ({
      source: input,
      header: readDicomHeader(readFileSync(input), input),
    }));
    const identifiers = getIdentifiers(headers);
    expect(identifiers.failures).toEqual([]);
    response = {
      results: [...identifiers.entities.values()].map((entity, i) => ({
        id: entity.id,
        id_source: entity.idSource,
        suid: `ALIAS${i}`,
        jitter: JITTERS[i % JITTERS.length] ?? 1,
        items: [...entity.items.values()].map((item, j) => ({
          id: item.id,
          id_source: item.idSource,
          suid: `S${i}x${j}`,
        })),
      })),
    };
    const recipe = defaultRecipe({});
    mkdirSync(join(dir, 'out'));
    for (const { source, header } of headers) {
      const name = relative(dir, source);
      try {
        const result = deidentify(readFileSync(source), {
          source: name,
          recipe,
          aliases: aliasesFor(response, header),
          uidKey: KEY,
        });
        const output = join(dir, 'out', name.replace(/\//g, '__'));
        writeFileSync(output, result.bytes);
        cases.push({ input: source, name, output, result });
      } catch (err) {
        failures.push(`${name}: ${String(err)}`);
      }
    }
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('de-identifies every file of both corpora', () => {
    expect(failures).toEqual([]);
    expect(cases.length).toBe(8 + 4 + 6);
  });

  it('leaves no name, ID, date, UID or private value of any input in any output', () => {
    const patterns = phiPatterns(cases.map((c) => c.input));
    const all: [string, Buffer, Pattern[2], string][] = [];
    for (const c of cases) {
      const own = patterns.get(c.input) ?? [];
      // The patterns are real: each stored one occurs in its own input (unless deflated).
      const input = readFileSync(c.input);
      const deflated = readDicomHeader(input, c.name).transferSyntax.deflated;
      for (const [label, hex, kind, stored] of own) {
        const bytes = Buffer.from(hex, 'hex');
        if (stored && !deflated && !input.includes(bytes))
          throw new Error(`${c.name}: ${label} is not in its own input`);
        all.push([label, bytes, kind, c.name]);
      }
    }
    expect(all.length).toBeGreaterThan(1000);
    const leaks: string[] = [];
    for (const c of cases) {
      for (const [label, bytes, kind, from] of all) {
        if (occurs(c.result.bytes, bytes, kind)) {
          leaks.push(
            `${c.name}: ${label} of ${from} (${JSON.stringify(bytes.toString('latin1').slice(0, 40))})`,
          );
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('gives each patient one alias and each original UID one remapped UID, in every file', () => {
    const checked = pydicomCheck(cases.map((c) => c.output));
    const byStudy = new Map<string, Set<string>>();
    for (const c of cases) {
      const before = readDicomHeader(readFileSync(c.input), c.name);
      const entity = response.results.find((r) => r.id === before.string('PatientID'));
      const after = c.result.header;
      const values = checked.get(c.output)?.values;
      expect(values?.PatientID).toBe(entity?.suid);
      expect(after.string('PatientName')).toBe(entity?.suid);
      const study = before.string('StudyInstanceUID') ?? '';
      expect(values?.StudyInstanceUID).toBe(remapUid(KEY, study));
      byStudy.set(study, (byStudy.get(study) ?? new Set()).add(values?.StudyInstanceUID ?? ''));
      expect(values?.SOPInstanceUID).toBe(remapUid(KEY, before.string('SOPInstanceUID') ?? ''));
      expect(after.string('MediaStorageSOPInstanceUID')).toBe(values?.SOPInstanceUID);
      expect(c.result.sopInstanceUid).toBe(values?.SOPInstanceUID);
    }
    expect([...byStudy.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...byStudy.values()].map((s) => [...s][0])).size).toBe(byStudy.size);
  });

  it('remaps references in sequences to the remapped UIDs of the files they point to', () => {
    const manifest = readFileSync(join(dir, 'hostile', 'manifest.csv'), 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1);
    let references = 0;
    for (const line of manifest) {
      const [path, , , , , referenced] = line.split(',');
      if (!referenced) continue;
      const referring = cases.find((c) => basename(c.input) === path);
      const target = cases.find(
        (c) =>
          readDicomHeader(readFileSync(c.input), c.name).string('SOPInstanceUID') === referenced,
      );
      for (const sequence of ['ReferencedImageSequence', 'SourceImageSequence']) {
        const item = referring?.result.header.items(sequence)[0];
        expect(item?.string('ReferencedSOPInstanceUID')).toBe(target?.result.sopInstanceUid);
        references++;
      }
    }
    expect(references).toBe(6);
  });

  it('keeps the pixel data of every file', () => {
    const before = pydicomCheck(cases.map((c) => c.input));
    const after = pydicomCheck(cases.map((c) => c.output));
    for (const c of cases) {
      expect(after.get(c.output)?.ok).toBe(true);
      expect(after.get(c.output)?.pixels).toBe(before.get(c.input)?.pixels);
    }
  });
});
