import { S3ResponseError } from './errors';
import { md5Of, parseListObjectsV2 } from './listing';

const page = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><EncodingType>url</EncodingType>${body}</ListBucketResult>`;

describe('parseListObjectsV2', () => {
  it('keeps keys and ETags as text (no number parsing), decodes URL-encoded keys', () => {
    const xml = page(
      '<Contents><Key>007</Key><Size>3</Size><ETag>"12345678901234567890123456789012"</ETag><LastModified>2024-01-02T03:04:05.000Z</LastModified></Contents>' +
        '<Contents><Key>0x10</Key><Size>1</Size><ETag>"abc-2"</ETag></Contents>' +
        '<Contents><Key>a+b%2Bc%20d%E2%82%AC</Key><Size>0</Size></Contents>' +
        '<CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes>',
    );
    expect(parseListObjectsV2(xml)).toEqual({
      objects: [
        {
          key: '007',
          size: 3,
          md5: '12345678901234567890123456789012',
          updated: new Date('2024-01-02T03:04:05.000Z'),
        },
        { key: '0x10', size: 1 },
        { key: 'a b+c d\u20ac', size: 0 },
      ],
      prefixes: ['dir/'],
    });
  });

  it('gives the continuation token as the page token, and refuses a truncated page without one', () => {
    expect(
      parseListObjectsV2(
        page('<IsTruncated>true</IsTruncated><NextContinuationToken>123</NextContinuationToken>'),
      ).nextPageToken,
    ).toBe('123');
    expect(() => parseListObjectsV2(page('<IsTruncated>true</IsTruncated>'))).toThrow(
      S3ResponseError,
    );
  });

  it('turns an <Error> document into its error', () => {
    expect(() =>
      parseListObjectsV2('<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>'),
    ).toThrow('NoSuchBucket: gone');
  });
});

describe('md5Of', () => {
  it('is the ETag of a single-part object, and nothing for a multipart one', () => {
    expect(md5Of('"D41D8CD98F00B204E9800998ECF8427E"')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Of('"d41d8cd98f00b204e9800998ecf8427e-3"')).toBeUndefined();
    expect(md5Of(undefined)).toBeUndefined();
  });
});
