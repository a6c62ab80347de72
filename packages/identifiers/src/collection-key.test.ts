import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { isSomError } from '@som/core';
import { AliasTable } from './alias-table';
import {
  checkCollectionKey,
  CollectionKeyMismatchError,
  collectionKeyStamp,
  keyFingerprint,
} from './collection-key';
import { DasherClient } from './dasher-client';
import { LocalPseudonymiser } from './pseudonymiser';
import { SecretKey } from './secret';
import { thrown } from './__tests__/thrown';

const KEY = 'collection-key-test-0123456789abcdef0123';
const OTHER = 'another-collection-key-0123456789abcdef';

describe('keyFingerprint', () => {
  it('is the first 32 bits of an HMAC-SHA256 of a fixed label under the key, in hex', () => {
    const expected = createHmac('sha256', KEY).update('som key fingerprint').digest('hex');
    expect(keyFingerprint(KEY)).toBe(expected.slice(0, 8));
    expect(keyFingerprint(Buffer.from(KEY))).toBe(keyFingerprint(KEY));
    expect(keyFingerprint(SecretKey.from(KEY))).toBe(keyFingerprint(KEY));
    expect(keyFingerprint(SecretKey.from(KEY))).toBe(SecretKey.from(KEY).fingerprint);
  });

  it('tells keys apart', () => {
    expect(keyFingerprint(OTHER)).not.toBe(keyFingerprint(KEY));
    expect(keyFingerprint(`${KEY}x`)).not.toBe(keyFingerprint(KEY));
  });
});

describe('checkCollectionKey', () => {
  const current = collectionKeyStamp(KEY, 'local');

  it('stamps a collection with the key fingerprint and the alias source kind', () => {
    expect(current).toEqual({ keyFingerprint: keyFingerprint(KEY), aliasSource: 'local' });
  });

  it('accepts the same stamp, and says when the record has none yet', () => {
    expect(checkCollectionKey('c1', { ...current }, current)).toBe('same');
    expect(checkCollectionKey('c1', {}, current)).toBe('unrecorded');
    expect(checkCollectionKey('c1', { keyFingerprint: null, aliasSource: null }, current)).toBe(
      'unrecorded',
    );
    expect(checkCollectionKey('c1', { keyFingerprint: current.keyFingerprint }, current)).toBe(
      'unrecorded',
    );
  });

  it('refuses another key, naming the collection and both fingerprints, never a key', () => {
    const stored = collectionKeyStamp(OTHER, 'local');
    const err = thrown(() => checkCollectionKey('irb-123', stored, current));
    expect(err).toBeInstanceOf(CollectionKeyMismatchError);
    expect(isSomError(err, 'FailedPrecondition')).toBe(true);
    expect((err as CollectionKeyMismatchError).difference).toBe('key');
    expect((err as CollectionKeyMismatchError).collection).toBe('irb-123');
    expect(err.message).toBe(
      `collection "irb-123" was made with the pseudonymisation key of fingerprint ${keyFingerprint(OTHER)} and this run's key has fingerprint ${keyFingerprint(KEY)}: adding to it would give its patients new aliases and store them a second time`,
    );
    const shown = `${err.message}\n${inspect(err, { depth: 5 })}`;
    expect(shown).not.toContain(KEY);
    expect(shown).not.toContain(OTHER);
  });

  it('refuses DASHER aliases in a local collection and the other way round', () => {
    const dasher = collectionKeyStamp(KEY, 'dasher');
    const intoLocal = thrown(() => checkCollectionKey('c1', current, dasher));
    expect((intoLocal as CollectionKeyMismatchError).difference).toBe('alias-source');
    expect(intoLocal.message).toBe(
      `collection "c1" was made with aliases from the local pseudonymiser and this run's come from DASHER: adding to it would give its patients new aliases and store them a second time`,
    );
    const intoDasher = thrown(() => checkCollectionKey('c1', dasher, current));
    expect(intoDasher.message).toContain('aliases from DASHER and this run');
    const unknown = thrown(() => checkCollectionKey('c1', { aliasSource: 'magic' }, current));
    expect(unknown.message).toContain('aliases from an unknown alias source');
  });

  it('refuses a fingerprint that is not even a string', () => {
    const err = thrown(() => checkCollectionKey('c1', { keyFingerprint: 42 }, current));
    expect((err as CollectionKeyMismatchError).difference).toBe('key');
  });
});

describe('alias source kinds', () => {
  it('are local for the pseudonymiser, dasher for the service and for response files', async () => {
    const local = new LocalPseudonymiser({ key: KEY });
    const service = new DasherClient({ study: 'test', secretsPath: '/nonexistent' });
    expect(service.kind).toBe('dasher');
    const request = { identifiers: [{ id: 'p1', id_source: 'MRN', items: [] }] };
    expect((await AliasTable.fromSource(local, request)).aliasSource).toBe('local');
    expect(new AliasTable({ results: [] }, 'ids.json').aliasSource).toBe('dasher');
  });
});
