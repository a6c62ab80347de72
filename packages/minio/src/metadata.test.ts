import { MD5_HEADER, metadataHeaders, metadataOf } from './metadata';

/** Headers as a server gives them back: names lowercased. */
function received(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

describe('user metadata headers', () => {
  it('sends plain names and values as they are', () => {
    expect(metadataHeaders({ modality: 'CT', 'body-part': 'CHEST HEAD' })).toEqual({
      'x-amz-meta-modality': 'CT',
      'x-amz-meta-body-part': 'CHEST HEAD',
    });
  });

  it('encodes what headers cannot carry, with only [a-z0-9-] names and printable ASCII values', () => {
    const metadata = {
      Modality: 'x',
      a_b: 'y',
      'som-md5': 'z',
      v1: '\u00e9\u65e5',
      v2: ' lead',
      v3: 'trail ',
      v4: '',
      v5: '=?UTF-8?B?eA==?=',
      v6: 'tab\there',
    };
    const headers = metadataHeaders(metadata);
    for (const [name, value] of Object.entries(headers)) {
      expect(name).toMatch(/^x-amz-meta-[a-z0-9-]+$/);
      expect(value).toMatch(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/);
    }
    expect(headers[MD5_HEADER]).toBeUndefined();
    expect(metadataOf(received(headers))).toEqual(metadata);
  });

  it('leaves out som\u2019s own fields and non-metadata headers when reading', () => {
    expect(
      metadataOf({
        [MD5_HEADER]: 'abc',
        'x-amz-meta-som-other': 'x',
        'content-type': 'a/b',
        'x-amz-meta-k': 'v',
      }),
    ).toEqual({ k: 'v' });
  });
});
