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
import { SEED_RESPONSE } from './__tests__/seed-response';

const seed = SEED_RESPONSE;

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

  it('reports every problem at once, one per line, naming the source and positions, never an id', () => {
    const bad = {
      results: [
        { id: 'p1', id_source: 'MRN', jitter: 1, items: [] }, // no suid
        { id: 'p2', id_source: 'MRN', suid: 's2', jitter: 2.5, items: [] }, // non-integer jitter
        { id: 'p3', id_source: 'MRN', suid: 's3', jitter: 'four', items: [] }, // not a number
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
      '  - result 0: missing suid',
      '  - result 1: jitter is not a whole number of days',
      '  - result 2: jitter is not a whole number of days',
      '  - result 3: missing jitter',
      '  - result 4: the same id as result 0',
      '  - result 5: missing id',
      '  - result 6: suid is not a valid uid (1-128 of A-Z a-z 0-9 . _ -)',
      '  - result 7 item 1: the same id as item 0',
      '  - result 7 item 2: jitter is not a whole number of days',
      '  - result 7 item 3: missing suid',
    ]);
    for (const id of ['p1', 'p2', 'p7', 'p8', 'i1', 'i3', 'bad/suid', 'four'])
      expect(err.message).not.toContain(`"${id}"`);
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
      'result 0 item 1: its id is not in the request',
      'result 0: no result for item 1 of identifier 0 of the request',
      'result 1: its id is not in the request',
      'no result for identifier 1 of the request',
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
      'result 0: missing suid',
      'result 0 item 0: missing suid',
      'no result for identifier 1 of the request',
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
    expect(err.problems).toEqual(['result 0: jitter 1000000000 is more than 36525 days']);
    const text = problemsOf(() =>
      parseDasherResponse({ results: [{ id: 'p', suid: 's', jitter: '99999' }] }, 'j.json'),
    );
    expect(text.problems).toEqual(['result 0: jitter 99999 is more than 36525 days']);
  });

  it('accepts a whole-number jitter written as a number or as a numeric string', () => {
    const parsed = parseDasherResponse(
      {
        results: [
          { id: 'p1', suid: 's1', jitter: 5, items: [{ id: 'i1', suid: 'x1', jitter: '5' }] },
          { id: 'p2', suid: 's2', jitter: '-12' },
          { id: 'p3', suid: 's3', jitter: ' +3 ' },
          { id: 'p4', suid: 's4', jitter: '0' },
        ],
      },
      'ids.json',
    );
    expect(parsed.results.map((r) => r.jitter)).toEqual([5, -12, 3, 0]);
    expect(parsed.results[0]?.items[0]?.jitter).toBe(5);
  });

  it.each([['5.5'], ['five'], [''], ['1e3'], ['0x10'], [true], [[5]], [{ days: 5 }], [2.5]])(
    'rejects the jitter %j naming the result by its position',
    (jitter) => {
      const err = problemsOf(() =>
        parseDasherResponse({ results: [{ id: 'p1', suid: 's1', jitter }] }, 'ids.json'),
      );
      expect(err.problems).toEqual(['result 0: jitter is not a whole number of days']);
    },
  );

  it.each([
    ['1961-08-01T00:00:00-0700'],
    ['1961-08-01T00:00:00-07:00'],
    ['1961-08-01T00:00:00+0530'],
    ['1961-08-01T00:00:00Z'],
    ['1961-08-01T00:00:00'],
    ['1961-08-01T00:00'],
    ['1961-08-01 00:00:00Z'],
    ['2010-02-09T11:50:00.123456-0800'],
    ['1961-08-01'],
    ['2016-12-31T23:59:60Z'],
  ])('accepts the jittered_timestamp %s', (timestamp) => {
    const parsed = parseDasherResponse(
      {
        results: [
          {
            id: 'p1',
            suid: 's1',
            jitter: 1,
            jittered_timestamp: timestamp,
            items: [{ id: 'i1', suid: 'x1', jittered_timestamp: ` ${timestamp} ` }],
          },
        ],
      },
      'ids.json',
    );
    expect(parsed.results[0]?.jittered_timestamp).toBe(timestamp);
    expect(parsed.results[0]?.items[0]?.jittered_timestamp).toBe(timestamp);
  });

  it('takes a blank jittered_timestamp for none', () => {
    const parsed = parseDasherResponse(
      { results: [{ id: 'p1', suid: 's1', jitter: 1, jittered_timestamp: '', items: [] }] },
      'ids.json',
    );
    expect(parsed.results[0]).not.toHaveProperty('jittered_timestamp');
  });

  it.each([
    ['yesterday'],
    ['1961-13-01T00:00:00Z'],
    ['1961-02-30'],
    ['1961-08-01T24:00:00Z'],
    ['1961-08-01T00:61:00Z'],
    ['1961-08-01T00:00:00+1500'],
    ['1961-08-01T00:00:00-07'],
    ['1961-08-01Z'],
    ['19610801'],
    ['1961-08-01T00:00:00Z trailing'],
  ])('rejects the jittered_timestamp %j naming the entity or item, not the value', (timestamp) => {
    const err = problemsOf(() =>
      parseDasherResponse(
        {
          results: [
            {
              id: 'p1',
              suid: 's1',
              jitter: 1,
              jittered_timestamp: timestamp,
              items: [{ id: 'i1', suid: 'x1', jittered_timestamp: timestamp }],
            },
          ],
        },
        'ids.json',
      ),
    );
    const why =
      'jittered_timestamp is not an ISO 8601 date or date-time (e.g. 2010-02-09T11:50:00-0800)';
    expect(err.problems).toEqual([`result 0: ${why}`, `result 0 item 0: ${why}`]);
    expect(err.message).not.toContain(timestamp);
  });

  it('rejects a jittered_timestamp that is not a string', () => {
    const err = problemsOf(() =>
      parseDasherResponse(
        { results: [{ id: 'p1', suid: 's1', jitter: 1, jittered_timestamp: 19610801 }] },
        'ids.json',
      ),
    );
    expect(err.problems).toEqual(['result 0: jittered_timestamp is not a string']);
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
      `invalid DASHER response ${invalid}: 1 problem:\n  - result 0: missing suid`,
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
