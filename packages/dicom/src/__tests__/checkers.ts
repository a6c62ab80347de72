/**
 * Independent checkers for the tests: pydicom (Debian's python3-pydicom, through
 * test-fixtures/dicom_check.py) and dcmdump (dcmtk), and the pydicom test corpus.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** Debian's python with pydicom and numpy (the `python3` on PATH may lack them). */
export const PYTHON = '/usr/bin/python3';

/** Where the committed test fixtures are. */
export const FIXTURES = join(__dirname, '..', '..', 'test-fixtures');

/** pydicom's test corpus (python3-pydicom). */
export const PYDICOM_DATA = '/usr/lib/python3/dist-packages/pydicom/data';

/** What dicom_check.py says about one file. */
export interface PydicomResult {
  path: string;
  ok: boolean;
  error?: string;
  pixels?: string | null;
  transferSyntax?: string;
  values?: Record<string, string>;
}

/**
 * Read files with pydicom: every element decoded, the pixel data digested. `force` also
 * reads files without preamble (inputs; outputs must read without it).
 */
export function pydicomCheck(paths: readonly string[], force = false): Map<string, PydicomResult> {
  const out = new Map<string, PydicomResult>();
  const flags = force ? ['--force'] : [];
  for (let i = 0; i < paths.length; i += 200) {
    const args = [
      '-W',
      'ignore',
      join(FIXTURES, 'dicom_check.py'),
      ...flags,
      ...paths.slice(i, i + 200),
    ];
    const stdout = execFileSync(PYTHON, args, {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    for (const line of stdout.split('\n')) {
      if (line.trim() === '') continue;
      const result = JSON.parse(line) as PydicomResult;
      out.set(result.path, result);
    }
  }
  return out;
}

/** What dcmdump says about one file. */
export interface DcmdumpResult {
  ok: boolean;
  output: string;
  /** sha256 of the pixel data as dcmdump writes it (+W), fragments concatenated; null without pixel data. */
  pixels: string | null;
}

/** Dump a file with dcmdump, treating any error or warning about the structure as a failure. */
export function dcmdump(path: string): DcmdumpResult {
  const dir = mkdtempSync(join(tmpdir(), 'som-dcmdump-'));
  try {
    const run = spawnSync('dcmdump', ['+W', dir, path], {
      encoding: 'latin1',
      maxBuffer: 64 << 20,
    });
    const errors = (run.stderr ?? '').split('\n').filter((l) => /^[EF]:/.test(l));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.raw'))
      .sort((a, b) => rawIndex(a) - rawIndex(b));
    let pixels: string | null = null;
    if (files.length > 0) {
      const h = createHash('sha256');
      for (const f of files) h.update(readFileSync(join(dir, f)));
      pixels = h.digest('hex');
    }
    return {
      ok: run.status === 0 && errors.length === 0,
      output: `${run.stdout ?? ''}${run.stderr ?? ''}`,
      pixels,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rawIndex(name: string): number {
  const m = /\.(\d+)\.raw$/.exec(name);
  return m ? Number(m[1]) : -1;
}

/** Every file under `dir`, recursively. */
export function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The files of pydicom's corpus (test_files and charset_files), relative to {@link PYDICOM_DATA}. */
export function pydicomCorpus(): string[] {
  return [...walk(join(PYDICOM_DATA, 'test_files')), ...walk(join(PYDICOM_DATA, 'charset_files'))]
    .map((f) => relative(PYDICOM_DATA, f))
    .sort();
}
