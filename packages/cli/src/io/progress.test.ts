import { PassThrough } from 'node:stream';
import { Output } from './output';
import { startProgress } from './progress';

const MB = 1024 * 1024;

/** A terminal that keeps what is drawn on it. */
function terminal(): {
  stream: PassThrough & { isTTY: boolean; columns: number };
  text: () => string;
} {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('the progress bar', () => {
  afterEach(() => jest.restoreAllMocks());

  it('shows the time left with its unit', async () => {
    const start = 1_000_000;
    const now = jest.spyOn(Date, 'now').mockReturnValue(start);
    const { stream, text } = terminal();
    const progress = startProgress(new Output(new PassThrough(), stream), 'upload', 4, 40 * MB);
    now.mockReturnValue(start + 10_000);
    progress.advance(10 * MB);
    now.mockReturnValue(start + 10_200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    progress.stop();
    // 10 MB in 10 s, 30 MB left.
    expect(text()).toContain('1/4 files | 10.0/40.0 MB | 1.0 MB/s | ETA 30s');
    expect(text()).not.toMatch(/ETA \d+(?![\dms])/);
  });
});
