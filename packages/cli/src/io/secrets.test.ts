import { PassThrough } from 'node:stream';
import { Output } from './output';
import { Secrets } from '@som/publish';

describe('Secrets', () => {
  it('redacts every secret, nested ones included, longest first', () => {
    const secrets = new Secrets();
    secrets.add('swordfish');
    secrets.add({ accessKey: 'x', nested: ['sword', { token: ' tok-en-123 ' }] });
    secrets.add(undefined);
    expect(secrets.redact('swordfish sword tok-en-123')).toBe('[redacted] [redacted] [redacted]');
  });

  it('leaves values too short to be worth redacting', () => {
    const secrets = new Secrets();
    secrets.add('abc');
    expect(secrets.redact('abc')).toBe('abc');
  });

  it('guards every line an Output prints', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const output = new Output(stdout, stderr);
    output.secrets.add('hunter22');
    output.line('password hunter22');
    output.json({ key: 'hunter22' });
    output.error('bad hunter22');
    expect(stdout.read().toString()).toBe('password [redacted]\n{\n  "key": "[redacted]"\n}\n');
    expect(stderr.read().toString()).toBe('som: error: bad [redacted]\n');
    expect(output.interactive).toBe(false);
  });
});
