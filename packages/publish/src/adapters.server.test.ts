/**
 * The adapter registry of the built @som/publish: every adapter registered once with its
 * summary, and listing or validating adapters loads no SDK (opening a store does).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const PUBLISH = join(__dirname, '..');

/** Run `body` against the built package; it returns a JSON-able value, printed and parsed. */
function inNode<T>(body: string): T {
  const script = `
    const publish = require('@som/publish');
    const loaded = () => {
      const paths = Object.keys(require.cache);
      return {
        google: paths.some((path) => path.includes('/@google-cloud/')),
        minio: paths.some((path) => path.includes('/node_modules/minio/')),
      };
    };
    console.log(JSON.stringify((() => { ${body} })()));`;
  // Opening a Google store needs credentials before any request: the metadata server is
  // said to be there (nothing here makes a request).
  const env = { ...process.env, METADATA_SERVER_DETECTION: 'assume-present' };
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script], { cwd: PUBLISH, encoding: 'utf8', env }),
  ) as T;
}

describe('the adapter registry', () => {
  it('lists every adapter once, with its summary, and the paths and credential files it names', () => {
    const adapters = inNode<{ id: string; summary: boolean; files: string[] }[]>(`
      return publish.ADAPTERS.map((a) => ({
        id: a.store + ' ' + a.type,
        summary: typeof a.summary === 'string' && a.summary.length > 0,
        files: [...(a.localPaths ?? []), ...(a.credentialFiles?.settings ?? [])],
      }));`);
    expect(adapters).toEqual([
      { id: 'objectStore fs', summary: true, files: ['root'] },
      { id: 'objectStore gcs', summary: true, files: ['keyFilename'] },
      { id: 'objectStore minio', summary: true, files: [] },
      { id: 'objectStore memory', summary: true, files: [] },
      { id: 'metadataStore sqlite', summary: true, files: ['path'] },
      { id: 'metadataStore datastore', summary: true, files: ['keyFilename'] },
      { id: 'metadataStore memory', summary: true, files: [] },
    ]);
  });

  it('loads no SDK to list and validate, and the chosen one only to open its store', () => {
    const loads = inNode<Record<string, { google: boolean; minio: boolean }>>(`
      const gcs = publish.findAdapter('objectStore', 'gcs');
      gcs.validate({ type: 'gcs', bucket: 'radiology' });
      publish.findAdapter('objectStore', 'minio').validate({
        type: 'minio', endPoint: '127.0.0.1', bucket: 'radiology', accessKey: 'a', secretKey: 's',
      });
      const validated = loaded();
      gcs.open({ type: 'gcs', bucket: 'radiology', projectId: 'p' });
      return { validated, opened: loaded() };`);
    expect(loads).toEqual({
      validated: { google: false, minio: false },
      opened: { google: true, minio: false },
    });
  });
});
