/** The built `som-datastore-indexes` bin writes the composite index plan as index.yaml. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SEARCHABLE_FIELDS, compositeIndexes, indexYaml } from '.';

describe('som-datastore-indexes', () => {
  const run = promisify(execFile);
  const bin = join(__dirname, '..', 'dist', 'bin', 'index-yaml.js');

  it('writes the default plan to a file, and fails readably on a bad plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-indexes-'));
    try {
      await run(process.execPath, [bin, '--out', join(dir, 'index.yaml')]);
      const yaml = readFileSync(join(dir, 'index.yaml'), 'utf8');
      expect(yaml).toBe(indexYaml(compositeIndexes({ fields: DEFAULT_SEARCHABLE_FIELDS })));
      const { stdout } = await run(process.execPath, [
        bin,
        '--fields',
        'Modality',
        '--kinds',
        'Entity',
      ]);
      expect(stdout).toContain(
        '- kind: Entity\n  ancestor: yes\n  properties:\n  - name: Modality\n',
      );
      await expect(run(process.execPath, [bin, '--fields', 'a-b'])).rejects.toMatchObject({
        code: 1,
        stderr: 'som-datastore-indexes: invalid searchable field "a-b"\n',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
