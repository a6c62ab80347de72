/**
 * DICOMweb on the memory stores: QIDO-RS filters and paging, WADO-RS metadata, instances,
 * frames, rendered and thumbnails, WADO-URI, Accept negotiation, CORS, and bad requests.
 * Response shapes are checked against PS3.18 by the independent checks in __tests__/ps318.
 */
import type { Client } from '@som/core';
import { readDicomHeader } from '@som/dicom';
import { COLLECTION, DATASET, syntheticImage, testClient } from '../__tests__/dataset';
import { checkDicomJson, parseMultipart } from '../__tests__/ps318';
import { startServer, type RunningServer } from '../server';

jest.setTimeout(30_000);

let client: Client;
let server: RunningServer;
const root = (): string => `${server.url}/dicomweb/${COLLECTION}`;

beforeAll(async () => {
  client = await testClient();
  server = await startServer(client, { port: 0, renderThreads: 1, cors: 'https://viewer.example' });
});
afterAll(async () => {
  await server.close();
  await client.close();
});

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${root()}${path}`, { headers, redirect: 'manual' });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, text: body.toString('utf8') };
}

async function json(path: string, headers: Record<string, string> = {}): Promise<Json[]> {
  const { res, text } = await get(path, headers);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/dicom+json; charset=utf-8');
  const value = JSON.parse(text) as Json[];
  expect(Array.isArray(value)).toBe(true);
  value.forEach((item) => checkDicomJson(item));
  return value;
}

const value = (item: Json | undefined, tag: string): unknown => item?.[tag]?.Value?.[0];
const uids = (items: Json[], tag = '0020000D'): unknown[] => items.map((i) => value(i, tag));

describe('QIDO-RS', () => {
  it('finds every study with the attributes PS3.18 lists, and pages with limit and offset', async () => {
    const all = await json('/studies');
    expect(uids(all).sort()).toEqual(['1.2.826.1.1', '1.2.826.1.2', '1.2.826.2.1']);
    const first = all.find((s) => value(s, '0020000D') === '1.2.826.1.1');
    expect(first?.['00080061']?.Value).toEqual(['CT', 'US']);
    expect(value(first, '00201208')).toBe(4);
    expect(value(first, '00201206')).toBe(2);
    expect(value(first, '00100020')).toBe('P1');
    expect(first?.['00100010']).toEqual({ vr: 'PN' });
    expect(value(first, '00081190')).toBe(`${root()}/studies/1.2.826.1.1`);
    const page1 = await json('/studies?limit=2&offset=0');
    const page2 = await json('/studies?limit=2&offset=2');
    expect(page1).toHaveLength(2);
    expect(page2).toHaveLength(1);
    expect([...uids(page1), ...uids(page2)].sort()).toEqual(uids(all).sort());
  });

  it.each([
    ['StudyInstanceUID=1.2.826.2.1', ['1.2.826.2.1']],
    ['StudyInstanceUID=1.2.826.2.1,1.2.826.1.2', ['1.2.826.1.2', '1.2.826.2.1']],
    ['StudyInstanceUID=1.2.826.2.1%5C1.2.826.1.2', ['1.2.826.1.2', '1.2.826.2.1']],
    ['0020000D=1.2.826.1.1', ['1.2.826.1.1']],
    ['00100020=P2', ['1.2.826.2.1']],
    ['PatientID=P*', ['1.2.826.1.1', '1.2.826.1.2', '1.2.826.2.1']],
    ['PatientID=*', ['1.2.826.1.1', '1.2.826.1.2', '1.2.826.2.1']],
    ['StudyDate=20190101-20201231', ['1.2.826.1.1', '1.2.826.2.1']],
    ['StudyDate=20210101-', ['1.2.826.1.2']],
    ['StudyDate=-20191231', ['1.2.826.2.1']],
    ['StudyDate=20200102', ['1.2.826.1.1']],
    ['ModalitiesInStudy=US', ['1.2.826.1.1']],
    ['ModalitiesInStudy=MR,US', ['1.2.826.1.1', '1.2.826.2.1']],
    ['AccessionNumber=none', []],
  ])('matches %s', async (query, expected) => {
    const found = await json(
      `/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030,00080060&${query}`,
    );
    expect(uids(found).sort()).toEqual(expected);
  });

  it('warns that fuzzy matching is not supported, and matches literally', async () => {
    const { res } = await get('/studies?fuzzymatching=true&PatientID=P2');
    expect(res.headers.get('warning')).toMatch(/^299 .*fuzzymatching/);
  });

  it('lists the series of a study and the instances of a series', async () => {
    const series = await json('/studies/1.2.826.1.1/series?includefield=all');
    expect(uids(series, '0020000E').sort()).toEqual(['1.2.826.1.1.1', '1.2.826.1.1.2']);
    const ct = series.find((s) => value(s, '0020000E') === '1.2.826.1.1.1');
    expect(value(ct, '00080060')).toBe('CT');
    expect(value(ct, '00201209')).toBe(3);
    expect(uids(await json('/studies/1.2.826.1.1/series?Modality=US'), '0020000E')).toEqual([
      '1.2.826.1.1.2',
    ]);
    const instances = await json('/studies/1.2.826.1.1/series/1.2.826.1.1.1/instances');
    expect(uids(instances, '00080018').sort()).toEqual([
      '1.2.826.1.1.1.1',
      '1.2.826.1.1.1.2',
      '1.2.826.1.1.1.3',
    ]);
    expect(value(instances[0], '00280010')).toBe(32);
    expect(
      uids(
        await json('/studies/1.2.826.1.1/series/1.2.826.1.1.1/instances?InstanceNumber=2'),
        '00080018',
      ),
    ).toEqual(['1.2.826.1.1.1.2']);
  });

  it.each([
    ['/studies?StudyDate=2020', 400, /StudyDate must be YYYYMMDD/],
    ['/studies?StudyDate=20200101-20201231-', 400, /StudyDate must be/],
    ['/studies?StudyInstanceUID=1.2.x', 400, /list of 1 to 1000 UIDs/],
    ['/studies?PatientName=DOE*', 400, /"PatientName" is not a matching key here/],
    ['/studies?Nonsense=1', 400, /is not a matching key here/],
    ['/studies?limit=0', 400, /limit must be a whole number from 1/],
    ['/studies?limit=ten', 400, /limit must be a whole number/],
    ['/studies?offset=-1', 400, /offset must be a whole number/],
    ['/studies?includefield=NotAnAttribute', 400, /includefield/],
    ['/studies?fuzzymatching=maybe', 400, /fuzzymatching must be true or false/],
    ['/studies/1.2.3/series', 404, /study 1.2.3 not found in collection demo/],
    ['/studies/1.2.826.1.1/series/9.9/metadata', 404, /series 9.9 not found in study 1.2.826.1.1/],
    ['/studies/1.2.826.1.1/series/1.2.826.1.1.1/instances/9.9', 404, /instance 9.9 not found/],
    ['/studies/not-a-uid/series', 400, /must be a UID/],
    ['/studies/1.2.826.1.1/whatever', 404, /no such DICOMweb resource/],
  ])('%s answers %i with a clear JSON error', async (path, status, message) => {
    const { res, text } = await get(path);
    expect(res.status).toBe(status);
    const body = JSON.parse(text) as { error: { message: string } };
    expect(body.error.message).toMatch(message);
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('answers an unknown collection with 404', async () => {
    const res = await fetch(`${server.url}/dicomweb/nothing/studies`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('collection nothing not found');
  });
});

describe('WADO-RS', () => {
  const series = '/studies/1.2.826.1.1/series/1.2.826.1.1.1';

  it('gives series metadata as DICOM JSON with the header, transfer syntax and bulk data URIs', async () => {
    const items = await json(`${series}/metadata`);
    expect(uids(items, '00080018').sort()).toEqual([
      '1.2.826.1.1.1.1',
      '1.2.826.1.1.1.2',
      '1.2.826.1.1.1.3',
    ]);
    const one = items.find((i) => value(i, '00080018') === '1.2.826.1.1.1.1');
    expect(value(one, '00100010')).toEqual({ Alphabetic: 'ALIAS^ONE' });
    expect(value(one, '00280010')).toBe(32);
    expect(value(one, '00200013')).toBe(1);
    expect(value(one, '00083002')).toBe('1.2.840.10008.1.2.1');
    expect((value(one, '00081140') as Json)['00081155']?.Value).toEqual(['1.2.3.99']);
    expect(one?.['7FE00010']?.BulkDataURI).toBe(
      `${root()}${series}/instances/1.2.826.1.1.1.1/bulk/7FE00010`,
    );
    expect(Object.keys(one ?? {}).some((tag) => tag.startsWith('0002'))).toBe(false);
    expect(await json(`/studies/1.2.826.1.1/metadata`)).toHaveLength(4);
  });

  it('gives an instance as multipart application/dicom, the stored bytes', async () => {
    const { res, body } = await get(`${series}/instances/1.2.826.1.1.1.2`, {
      Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
    });
    expect(res.status).toBe(200);
    const { type, parts } = parseMultipart(res.headers.get('content-type') as string, body);
    expect(type).toBe('application/dicom');
    expect(parts).toHaveLength(1);
    expect(parts[0]?.headers['content-type']).toBe(
      'application/dicom; transfer-syntax=1.2.840.10008.1.2.1',
    );
    expect(parts[0]?.body.equals(syntheticImage(DATASET.alice?.[1] as never))).toBe(true);
    const study = await get('/studies/1.2.826.1.1');
    expect(
      parseMultipart(study.res.headers.get('content-type') as string, study.body).parts,
    ).toHaveLength(4);
  });

  it('gives native frames as octet-stream in Explicit VR Little Endian', async () => {
    for (const accept of [
      'multipart/related; type="application/octet-stream"; transfer-syntax=*',
      'multipart/related; type=application/octet-stream',
      '*/*',
    ]) {
      const { res, body } = await get(`${series}/instances/1.2.826.1.1.1.1/frames/1`, {
        Accept: accept,
      });
      expect(res.status).toBe(200);
      const { parts } = parseMultipart(res.headers.get('content-type') as string, body);
      expect(parts[0]?.headers['content-type']).toBe(
        'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1',
      );
      expect(parts[0]?.body.length).toBe(32 * 32 * 2);
      expect(parts[0]?.body.readUInt16LE(2 * 5)).toBe(5 * 64);
    }
  });

  it('refuses what it cannot give: 406 naming what it can', async () => {
    const jpeg = await get(`${series}/instances/1.2.826.1.1.1.1/frames/1`, {
      Accept: 'multipart/related; type="image/jpeg"',
    });
    expect(jpeg.res.status).toBe(406);
    expect(jpeg.text).toContain('transfer-syntax=*');
    const html = await get(`${series}/metadata`, { Accept: 'text/html' });
    expect(html.res.status).toBe(406);
    const frame = await get(`${series}/instances/1.2.826.1.1.1.1/frames/2`);
    expect(frame.res.status).toBe(404);
    expect(frame.text).toContain('the instance has 1 frame(s)');
    const bad = await get(`${series}/instances/1.2.826.1.1.1.1/frames/x`);
    expect(bad.res.status).toBe(400);
  });

  it('renders instances, frames and thumbnails as JPEG or PNG, withholding US', async () => {
    const rendered = await get(
      `${series}/instances/1.2.826.1.1.1.1/rendered?window=100,200&viewport=64,64`,
    );
    expect(rendered.res.status).toBe(200);
    expect(rendered.res.headers.get('content-type')).toBe('image/jpeg');
    const png = await get(`${series}/instances/1.2.826.1.1.1.1/frames/1/rendered`, {
      Accept: 'image/png',
    });
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    const thumb = await get(`${series}/thumbnail`);
    expect(thumb.res.status).toBe(200);
    const us = await get('/studies/1.2.826.1.1/series/1.2.826.1.1.2/thumbnail');
    expect(us.res.headers.get('etag')).toMatch(/withheld/);
    const badWindow = await get(`${series}/instances/1.2.826.1.1.1.1/rendered?window=1,2,sigmoid`);
    expect(badWindow.res.status).toBe(400);
  });
});

describe('WADO-URI', () => {
  const q =
    'requestType=WADO&studyUID=1.2.826.2.1&seriesUID=1.2.826.2.1.1&objectUID=1.2.826.2.1.1.1';

  it('streams the object where the store cannot sign URLs', async () => {
    const { res, body } = await get(`?${q}&contentType=application%2Fdicom`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dicom');
    expect(readDicomHeader(body, 'x').string('SOPInstanceUID')).toBe('1.2.826.2.1.1.1');
  });

  it('renders JPEG by default, and refuses a wrong request type', async () => {
    const { res, body } = await get(`?${q}`);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const wrong = await get('?requestType=OTHER');
    expect(wrong.res.status).toBe(400);
  });
});

describe('CORS', () => {
  it('lets the configured origin read, and answers preflights', async () => {
    const { res } = await get('/studies');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://viewer.example');
    const preflight = await fetch(`${root()}/studies`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://viewer.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});
