/**
 * The built entry points of @som/core: '.' and './driver' load no dependency injection
 * (neither inversify nor reflect-metadata, which patches the global Reflect); './di' does.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const CORE = join(__dirname, '..');

/** Whether requiring `entry` of the built package loads inversify and reflect-metadata. */
function loadsDependencyInjection(entry: string): { inversify: boolean; reflect: boolean } {
  const script = `
    require(${JSON.stringify(entry)});
    const loaded = Object.keys(require.cache);
    console.log(JSON.stringify({
      inversify: loaded.some((path) => path.includes('/inversify/')),
      reflect: typeof Reflect.getMetadata === 'function',
    }));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: CORE, encoding: 'utf8' });
  return JSON.parse(out) as { inversify: boolean; reflect: boolean };
}

describe('entry points of the built @som/core', () => {
  it("'@som/core' and '@som/core/driver' have no dependency injection side effects", () => {
    expect(loadsDependencyInjection('@som/core')).toEqual({ inversify: false, reflect: false });
    expect(loadsDependencyInjection('@som/core/driver')).toEqual({
      inversify: false,
      reflect: false,
    });
  });

  it("'@som/core/di' brings inversify and reflect-metadata", () => {
    expect(loadsDependencyInjection('@som/core/di')).toEqual({ inversify: true, reflect: true });
  });
});
