/**
 * The DICOMweb contract OHIF Viewer 3.13 relies on, replayed against the embedded default
 * (fs objects + SQLite records) holding pydicom's test files in twelve encodings, uploaded
 * (de-identified) by the built `som upload`. Responses are checked against PS3.18 and
 * against pydicom, which reads the same stored objects: frames byte for byte, metadata
 * attribute by attribute.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { removeDir } from '../../../test/fixtures/som';
import {
  embeddedDataset,
  PYDICOM_COLLECTION,
  SCRIPTS,
  type EmbeddedDataset,
} from './__tests__/embedded';
import { checkDicomJson, parseMultipart } from './__tests__/ps318';
import { startServer, type RunningServer } from './server';

jest.setTimeout(120_000);

const COLLECTION = PYDICOM_COLLECTION;
/** OHIF 3.13's QIDO study search, as its data source sends it. */
const STUDY_SEARCH =
  '/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030%2C00080060';
const SERIES_FIELDS = 'includefield=00080021%2C00080031%2C0008103E%2C00200011';
/** The native transfer syntaxes: their frames come as Explicit VR Little Endian. */
const NATIVE = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.2',
]);
const FRAME_ACCEPT = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

type Attribute = { vr: string; Value?: unknown[]; InlineBinary?: string; BulkDataURI?: string };
type Json = Record<string, Attribute>;
interface Oracle {
  transferSyntax: string;
  frames: number;
  frameMd5: string[];
  json: Json;
}

let dataset: EmbeddedDataset;
let server: RunningServer;

beforeAll(async () => {
  dataset = await embeddedDataset();
  server = await startServer(dataset.client, { port: 0, renderThreads: 2 });
});

afterAll(async () => {
  await server?.close();
  await dataset?.client.close();
  if (dataset) removeDir(dataset.cwd);
});

const root = (): string => `${server.url}/dicomweb/${COLLECTION}`;

async function get(path: string, accept?: string) {
  const res = await fetch(`${root()}${path}`, accept ? { headers: { Accept: accept } } : {});
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function dicomJson(path: string): Promise<Json[]> {
  const { res, body } = await get(path, 'application/dicom+json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
  const items = JSON.parse(body.toString()) as Json[];
  items.forEach((item) => checkDicomJson(item));
  return items;
}

const first = (item: Json | undefined, tag: string): string =>
  String(item?.[tag]?.Value?.[0] ?? '');

/** Attributes compared with pydicom: everything but binary values and the file meta group. */
function comparable(json: Json): Json {
  const out: Json = {};
  for (const [tag, attribute] of Object.entries(json)) {
    // AvailableTransferSyntaxUID is the server's addition, checked on its own.
    if (tag.startsWith('0002') || tag === '7FE00010' || tag === '00083002') continue;
    if (attribute.InlineBinary !== undefined || attribute.BulkDataURI !== undefined) continue;
    if (['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN'].includes(attribute.vr)) continue;
    const value = attribute.Value?.map((v) => (attribute.vr === 'SQ' ? comparable(v as Json) : v));
    out[tag] =
      value === undefined || value.length === 0
        ? { vr: attribute.vr }
        : { vr: attribute.vr, Value: value };
  }
  return out;
}

describe("OHIF 3.13's requests on the embedded default", () => {
  it('answers every request of the list for every study, as PS3.18 and pydicom say', async () => {
    const studies = await dicomJson(STUDY_SEARCH);
    expect(studies).toHaveLength(12);
    const seen = new Set<string>();
    for (const study of studies) {
      const st = first(study, '0020000D');
      const byUid = await dicomJson(`${STUDY_SEARCH}&StudyInstanceUID=${st}`);
      expect(byUid.map((s) => first(s, '0020000D'))).toEqual([st]);
      const patient = first(study, '00100020');
      expect(patient).not.toBe('');
      const byPatient = await dicomJson(`${STUDY_SEARCH}&00100020=${encodeURIComponent(patient)}`);
      expect(byPatient.map((s) => first(s, '0020000D'))).toContain(st);

      const series = await dicomJson(`/studies/${st}/series?${SERIES_FIELDS}`);
      expect(series).toHaveLength(1);
      const se = first(series[0], '0020000E');
      const [metadata] = await dicomJson(`/studies/${st}/series/${se}/metadata`);
      const sop = first(metadata, '00080018');
      expect(first(metadata, '0020000E')).toBe(se);

      // WADO-URI gives the stored object; pydicom reads it for the oracle.
      const wado = await get(
        `?requestType=WADO&studyUID=${st}&seriesUID=${se}&objectUID=${sop}&contentType=application%2Fdicom`,
      );
      expect(wado.res.status).toBe(200);
      expect(wado.res.headers.get('content-type')).toBe('application/dicom');
      const file = join(dataset.cwd, 'got', `${sop}.dcm`);
      mkdirSync(join(dataset.cwd, 'got'), { recursive: true });
      writeFileSync(file, wado.body);
      const oracle = (
        JSON.parse(
          execFileSync('/usr/bin/python3', [join(SCRIPTS, 'pydicom-oracle.py'), file]).toString(),
        ) as Record<string, Oracle>
      )[file] as Oracle;
      seen.add(oracle.transferSyntax);
      expect(first(metadata, '00083002')).toBe(oracle.transferSyntax);
      expect(comparable(metadata as Json)).toEqual(comparable(oracle.json));

      // wadors: frame 1 as OHIF asks for it, byte for byte what pydicom finds.
      const frames = await get(
        `/studies/${st}/series/${se}/instances/${sop}/frames/1`,
        FRAME_ACCEPT,
      );
      expect(frames.res.status).toBe(200);
      const { type, parts } = parseMultipart(
        frames.res.headers.get('content-type') as string,
        frames.body,
      );
      expect(type).toBe('application/octet-stream');
      expect(parts).toHaveLength(1);
      const native = NATIVE.has(oracle.transferSyntax);
      expect(parts[0]?.headers['content-type']).toBe(
        `application/octet-stream; transfer-syntax=${native ? '1.2.840.10008.1.2.1' : oracle.transferSyntax}`,
      );
      expect(
        createHash('md5')
          .update(parts[0]?.body as Buffer)
          .digest('hex'),
      ).toBe(oracle.frameMd5[0]);

      // The thumbnail decodes (or is withheld by the preview policy).
      const thumb = await get(`/studies/${st}/series/${se}/instances/${sop}/thumbnail`);
      expect(thumb.res.status).toBe(200);
      expect(thumb.res.headers.get('content-type')).toBe('image/jpeg');
      const modality = first(metadata, '00080060');
      const withheld =
        ['OT', 'SC', 'US', 'XC', ''].includes(modality) ||
        first(metadata, '00080016').startsWith('1.2.840.10008.5.1.4.1.1.7');
      if (withheld) expect(thumb.res.headers.get('etag')).toMatch(/withheld/);
      else {
        const stats = await sharp(thumb.body).stats();
        expect(stats.channels[0]?.stdev).toBeGreaterThan(1);
      }
    }
    // Every encoding of the corpus went through.
    expect([...seen].sort()).toEqual([...new Set(dataset.encodings.values())].sort());
  });
});
