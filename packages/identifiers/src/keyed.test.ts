import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { isSomError } from '@som/core';
import { keyedDigest, remapUid } from './keyed';
import { KeyTooShortError, MIN_KEY_LENGTH, redact, SecretKey } from './secret';

const KEY = 'a-test-key-that-is-long-enough-0123456789';

describe('remapUid', () => {
  it('is 2.25.<decimal of the first 128 bits of HMAC-SHA256(key, "uid\\0" + uid)>', () => {
    const digest = createHmac('sha256', KEY).update('uid\0').update('1.2.3.4').digest();
    const expected = `2.25.${BigInt(`0x${digest.subarray(0, 16).toString('hex')}`)}`;
    expect(remapUid(KEY, '1.2.3.4')).toBe(expected);
    expect(remapUid(KEY, ' 1.2.3.4 ')).toBe(expected); // DICOM padding is ignored
    expect(remapUid(Buffer.from(KEY), '1.2.3.4')).toBe(expected);
    expect(remapUid('another key', '1.2.3.4')).not.toBe(expected);
  });

  it('gives the same result for a SecretKey as for the string it wraps', () => {
    expect(remapUid(SecretKey.from(KEY), '1.2.840.1')).toBe(remapUid(KEY, '1.2.840.1'));
    expect(keyedDigest(SecretKey.from(Buffer.from(KEY)), 'p', 'v')).toEqual(
      keyedDigest(KEY, 'p', 'v'),
    );
  });
});

describe('SecretKey', () => {
  it('never shows its value', () => {
    const key = SecretKey.from(KEY);
    const shown = [
      String(key),
      `${key}`,
      JSON.stringify(key),
      JSON.stringify({ key }),
      inspect(key, { showHidden: true, depth: 10 }),
      inspect({ nested: { key } }, { showHidden: true, depth: 10 }),
      Object.keys(key).join(','),
    ];
    for (const text of shown) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(Buffer.from(KEY).toString('hex'));
    }
    expect(String(key)).toBe(`SecretKey(${key.fingerprint})`);
    expect(key.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(SecretKey.from(KEY).fingerprint).toBe(key.fingerprint);
    expect(SecretKey.from(`${KEY}x`).fingerprint).not.toBe(key.fingerprint);
  });

  it('takes a secret of at least 32 characters, and refuses a shorter one without showing it', () => {
    const secret = 'x'.repeat(MIN_KEY_LENGTH);
    expect(SecretKey.fromSecret(secret, '--secret').fingerprint).toBe(
      SecretKey.from(secret).fingerprint,
    );
    for (const short of ['s3cret', 'x'.repeat(MIN_KEY_LENGTH - 1), `  ${'y'.repeat(30)}  `]) {
      let error: unknown;
      try {
        SecretKey.fromSecret(short, '--secret/SOM_SECRET');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(KeyTooShortError);
      expect(isSomError(error, 'InvalidArgument')).toBe(true);
      expect((error as Error).message).toBe(
        'the pseudonymisation key from --secret/SOM_SECRET is shorter than 32 characters; use a random one (e.g. the output of: openssl rand -hex 32)',
      );
      expect(inspect(error)).not.toContain(short.trim());
    }
  });

  it('rejects an empty key', () => {
    let error: unknown;
    try {
      SecretKey.from('');
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
  });

  it('redact replaces every occurrence of every secret', () => {
    expect(redact('a SECRET b SECRET c TOKEN', ['SECRET', 'TOKEN', '', undefined])).toBe(
      'a [redacted] b [redacted] c [redacted]',
    );
  });
});
