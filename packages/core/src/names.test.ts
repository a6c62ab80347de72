import { SomError } from './errors';
import {
  entityKey,
  imageKey,
  imageObjectKey,
  isValidUid,
  parseImageObjectKey,
  refOfKey,
  sanitizeUid,
  seriesKey,
  studyKey,
  validateUid,
} from './names';

describe('uids', () => {
  it.each(['a', 'IRB41449', 'suid-12fa', '1.2.840.113619.2', 'a_b.c-d', 'x'.repeat(128), '...'])(
    'accepts %s',
    (uid) => {
      expect(isValidUid(uid)).toBe(true);
      expect(validateUid('entity', uid)).toBe(uid);
    },
  );

  it.each([
    '',
    '.',
    '..',
    'a/b',
    '../etc',
    'a b',
    'x'.repeat(129),
    'caf\u00e9',
    'a\u0000',
    'a\\b',
    'a:b',
  ])('rejects %j with InvalidArgument naming it', (uid) => {
    expect(isValidUid(uid)).toBe(false);
    expect(() => validateUid('collection', uid)).toThrow(SomError);
    try {
      validateUid('collection', uid);
    } catch (err) {
      expect((err as SomError).code).toBe('InvalidArgument');
      expect((err as SomError).message).toContain('collection uid');
    }
  });

  it('rejects values that are not strings', () => {
    expect(() => validateUid('image', 42)).toThrow(/invalid image uid 42/);
    expect(() => validateUid('image', undefined)).toThrow(SomError);
  });

  it('sanitizes any string into a valid uid', () => {
    expect(sanitizeUid('IM 0001.dcm')).toBe('IM_0001.dcm');
    expect(sanitizeUid('..')).toBe('_');
    expect(sanitizeUid('')).toBe('_');
    expect(sanitizeUid('M\u00fcller/../x')).toBe('M_ller_.._x');
    expect(isValidUid(sanitizeUid('y'.repeat(300)))).toBe(true);
  });
});

describe('object keys and record keys', () => {
  const ref = { collection: 'IRB41449', entity: 'SUID123', image: 'suid123-1.dcm' };

  it('builds the object key Collection/<c>/Entity/<e>/Images/<i>', () => {
    expect(imageObjectKey(ref)).toBe('Collection/IRB41449/Entity/SUID123/Images/suid123-1.dcm');
  });

  it('parses an image key back, and refuses other keys', () => {
    expect(parseImageObjectKey(imageObjectKey(ref))).toEqual(ref);
    expect(parseImageObjectKey('Collection/c/Entity/e/Other/i')).toBeUndefined();
    expect(parseImageObjectKey('Collection/c/Entity/../Images/i')).toBeUndefined();
    expect(parseImageObjectKey('Collection/c/Entity/e/Images/i/extra')).toBeUndefined();
  });

  it('builds Datastore-style key paths', () => {
    expect(imageKey(ref)).toEqual([
      'Collection',
      'IRB41449',
      'Entity',
      'SUID123',
      'Image',
      'suid123-1.dcm',
    ]);
    expect(refOfKey(entityKey(ref))).toEqual({ collection: 'IRB41449', entity: 'SUID123' });
    expect(refOfKey(['Other', 'x'])).toBeUndefined();
  });

  it('validates every part before building a key', () => {
    expect(() => imageObjectKey({ ...ref, entity: '..' })).toThrow(/invalid entity uid/);
    expect(() => imageKey({ ...ref, image: 'a/b' })).toThrow(/invalid image uid/);
    expect(() => studyKey(ref, '1.2/3')).toThrow(/invalid study uid/);
    expect(() => seriesKey(ref, '')).toThrow(/invalid series uid/);
  });

  it('keys study and series summaries under their entity, and addresses them by it', () => {
    const study = studyKey(ref, '1.2.3');
    const series = seriesKey(ref, '1.2.3.4');
    expect(study).toEqual(['Collection', 'IRB41449', 'Entity', 'SUID123', 'Study', '1.2.3']);
    expect(series).toEqual(['Collection', 'IRB41449', 'Entity', 'SUID123', 'Series', '1.2.3.4']);
    for (const key of [study, series])
      expect(refOfKey(key)).toEqual({ collection: 'IRB41449', entity: 'SUID123' });
    expect(refOfKey(['Collection', 'c', 'Entity', 'e', 'Other', 'x'])).toBeUndefined();
  });
});
