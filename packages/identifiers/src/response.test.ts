import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSomError, SomError } from '@som/core';
import {
  InvalidDasherResponseError,
  parseDasherResponse,
  readDasherResponseFile,
} from './response';
import { fileReadError } from './files';
import type { DasherRequest } from './types';

/** The response of the original documentation (shared/seed). */
const seed = {
  results: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      items: [
        {
          id: 'MCH',
          id_source: 'Lab Result',
          jitter: 5,
          jittered_timestamp: '2010-02-09T11:50:00-0800',
          suid: '12fb',
        },
      ],
      jitter: 5,
      jittered_timestamp: '1961-08-01T00:00:00-0700',
      suid: '12fa',
    },
  ],
};

const seedRequest: DasherRequest = {
  identifiers: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      id_timestamp: '1961-07-27T00:00:00Z',
      items: [{ id: 'MCH', id_source: 'Lab Result', id_timestamp: '2010-02-04T11:50:00Z' }],
    },
  ],
};

function problemsOf(fn: () => unknown): InvalidDasherResponseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDasherResponseError);
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    return err as InvalidDasherResponseError;
  }
  throw new Error('expected parseDasherResponse to throw');
}

describe('parseDasherResponse', () => {
  it('accepts the documented DASHER response, with and without its request', () => {
    expect(parseDasherResponse(seed, 'ids.json')).toEqual(seed);
    expect(parseDasherResponse(seed, 'ids.json', seedRequest)).toEqual(seed);
  });

  it('accepts a bare list of results (what the Python client returned) and normalises', () => {
    const parsed = parseDasherResponse(
      [{ id: 'p1', suid: 'a1', jitter: -3, extra: 'dropped' }],
      'list.json',
    );
    expect(parsed).toEqual({
      results: [{ id: 'p1', id_source: '', suid: 'a1', jitter: -3, items: [] }],
    });
  });

  it('rejects something that is not a response', () => {
    for (const bad of [null, 42, 'x', {}, { results: {} }]) {
      const err = problemsOf(() => parseDasherResponse(bad, 'f.json'));
      expect(err.message).toContain('f.json');
      expect(err.message).toContain('"results" list');
    }
  });

  it('reports every problem at once, one per line, naming the ids and the source', () => {
    const bad = {
      results: [
        { id: 'p1', id_source: 'MRN', jitter: 1, items: [] }, // no suid
        { id: 'p2', id_source: 'MRN', suid: 's2', jitter: 2.5, items: [] }, // non-integer jitter
        { id: 'p3', id_source: 'MRN', suid: 's3', jitter: '4', items: [] }, // string jitter
        { id: 'p4', id_source: 'MRN', suid: 's4', items: [] }, // no jitter
        { id: 'p1', id_source: 'MRN', suid: 's1b', jitter: 1, items: [] }, // duplicate id
        { id_source: 'MRN', suid: 's6', jitter: 1 }, // no id
        { id: 'p7', suid: 'bad/suid', jitter: 1 }, // suid not a uid
        {
          id: 'p8',
          suid: 's8',
          jitter: 1,
          items: [
            { id: 'i1', suid: 'x1' },
            { id: 'i1', suid: 'x2' }, // duplicate item
            { id: 'i3', jitter: 1.5, suid: 'x3' }, // item jitter not integer
            { id: 'i4' }, // item without suid
          ],
        },
      ],
    };
    const err = problemsOf(() => parseDasherResponse(bad, '/data/ids.json'));
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('invalid DASHER response /data/ids.json: 10 problems:');
    expect(lines.slice(1)).toEqual([
      '  - result "p1": missing suid',
      '  - result "p2": jitter 2.5 is not a whole number of days',
      '  - result "p3": jitter "4" is not a whole number of days',
      '  - result "p4": missing jitter',
      '  - result "p1": duplicate result id (results 0 and 4)',
      '  - result 5: missing id',
      '  - result "p7": suid "bad/suid" is not a valid uid (1-128 of A-Z a-z 0-9 . _ -)',
      '  - result "p8" item "i1": duplicate item id (items 0 and 1)',
      '  - result "p8" item "i3": jitter 1.5 is not a whole number of days',
      '  - result "p8" item "i4": missing suid',
    ]);
    expect(err.problems).toHaveLength(10);
    expect(err.source).toBe('/data/ids.json');
  });

  it('checks the response against its request in both directions', () => {
    const request: DasherRequest = {
      identifiers: [
        {
          id: 'p1',
          id_source: 'MRN',
          items: [
            { id: 'a', id_source: 'S' },
            { id: 'b', id_source: 'S' },
          ],
        },
        { id: 'p2', id_source: 'MRN', items: [] },
      ],
    };
    const response = {
      results: [
        {
          id: 'p1',
          suid: 's1',
          jitter: 1,
          items: [
            { id: 'a', suid: 'x' },
            { id: 'zz', suid: 'y' },
          ],
        },
        { id: 'stranger', suid: 's9', jitter: 1, items: [] },
      ],
    };
    const err = problemsOf(() => parseDasherResponse(response, 'r.json', request));
    expect(err.problems).toEqual([
      'result "p1" item "zz": item id is not in the request',
      'result "p1": no result for requested item "b"',
      'result "stranger": id is not in the request',
      'no result for requested entity "p2"',
    ]);
  });

  it('reports shape and request problems together, without calling a malformed result missing', () => {
    const request: DasherRequest = {
      identifiers: [
        { id: 'p1', id_source: 'MRN', items: [{ id: 'a', id_source: 'S' }] },
        { id: 'p2', id_source: 'MRN', items: [] },
      ],
    };
    const response = { results: [{ id: 'p1', jitter: 1, items: [{ id: 'a' }] }] };
    const err = problemsOf(() => parseDasherResponse(response, 'r.json', request));
    expect(err.problems).toEqual([
      'result "p1": missing suid',
      'result "p1" item "a": missing suid',
      'no result for requested entity "p2"',
    ]);
  });

  it('spells out at most 50 problems and counts the rest', () => {
    const results = Array.from({ length: 120 }, (_, i) => ({ id: `p${i}`, jitter: 1 }));
    const err = problemsOf(() => parseDasherResponse({ results }, 'big.json'));
    expect(err.problems).toHaveLength(120);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe('  ... and 70 more');
  });

  it('rejects absurd jitters', () => {
    const err = problemsOf(() =>
      parseDasherResponse({ results: [{ id: 'p', suid: 's', jitter: 1e9 }] }, 'j.json'),
    );
    expect(err.problems).toEqual(['result "p": jitter 1000000000 is more than 36525 days']);
  });
});

describe('readDasherResponseFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'som-ids-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and validates a response file', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, `\uFEFF${JSON.stringify(seed)}`);
    await expect(readDasherResponseFile(path, seedRequest)).resolves.toEqual(seed);
  });

  it('names the path of a missing file (NotFound)', async () => {
    const path = join(dir, 'nope.json');
    const err = await readDasherResponseFile(path).catch((e: unknown) => e);
    expect(isSomError(err, 'NotFound')).toBe(true);
    expect((err as SomError).message).toBe(`DASHER response file ${path} does not exist`);
  });

  it('names the path of a directory', async () => {
    const path = join(dir, 'adir');
    await mkdir(path);
    const err = await readDasherResponseFile(path).catch((e: unknown) => e);
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    expect((err as SomError).message).toContain(path);
  });

  it('names the path and position of invalid JSON without quoting the content', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"results": [\n  {"id": "MRN-SECRET-123" oops}]}');
    const err = await readDasherResponseFile(path).catch((e: unknown) => e);
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    expect((err as SomError).message).toBe(
      `DASHER response file ${path} is not valid JSON: expected "," or "}" at line 2, column 27`,
    );

    await writeFile(path, 'MRN-SECRET-123 is not json');
    const err2 = await readDasherResponseFile(path).catch((e: unknown) => e);
    expect((err2 as SomError).message).toBe(
      `DASHER response file ${path} is not valid JSON: expected a value (object, array, string, number, true, false or null) at line 1, column 1`,
    );
    expect((err2 as SomError).cause).toBeUndefined();
  });

  it('names the path of an empty file and of an invalid response', async () => {
    const empty = join(dir, 'empty.json');
    await writeFile(empty, '  \n');
    await expect(readDasherResponseFile(empty)).rejects.toThrow(
      `DASHER response file ${empty} is empty`,
    );
    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ results: [{ id: 'p1', jitter: 1 }] }));
    await expect(readDasherResponseFile(invalid)).rejects.toThrow(
      `invalid DASHER response ${invalid}: 1 problem:\n  - result "p1": missing suid`,
    );
  });

  it('names the path of an unreadable file (PermissionDenied)', () => {
    // Root (as in CI) reads every file, so the read error itself is constructed here.
    const denied = Object.assign(new Error("EACCES: permission denied, open 'x'"), {
      code: 'EACCES',
    });
    const err = fileReadError('/data/ids.json', 'DASHER response file', denied);
    expect(isSomError(err, 'PermissionDenied')).toBe(true);
    expect(err.message).toContain('/data/ids.json');
  });
});
