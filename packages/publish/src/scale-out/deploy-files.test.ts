/**
 * The deployment files in deploy/ are read as their engines read them (Dockerfile
 * instructions, shell words, YAML, JSON), and hold what each engine requires for a
 * sharded run: an index per task, the task count of the plan, retries that skip the
 * permanent exit codes (1: files failed, 2: wrong plan or configuration), the key from the
 * engine's secret store as SOM_SECRET, the source mounted read-only and the plan writable.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ENGINES } from './shard-index';

const ROOT = join(__dirname, '..', '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const read = (name: string): string => readFileSync(join(DEPLOY, name), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the files' own structure is what is checked
const readJson = (name: string): any => JSON.parse(read(name));

/** The lines of a shell or Dockerfile text with `\`-continued lines joined and comments dropped. */
function logicalLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** The words of one shell command line: quotes removed, variables left as written. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+))+/g)) {
    words.push(
      match[0].replace(
        /"((?:[^"\\]|\\.)*)"|'([^']*)'/g,
        (_whole, double?: string, single?: string) =>
          double !== undefined ? double.replace(/\\(.)/g, '$1') : (single ?? ''),
      ),
    );
  }
  return words;
}

/** Every value of `--flag value` (or `--flag=value`) among `words`. */
function flagValues(words: readonly string[], flag: string): string[] {
  const values: string[] = [];
  words.forEach((word, i) => {
    if (word === flag && i + 1 < words.length) values.push(words[i + 1] as string);
    else if (word.startsWith(`${flag}=`)) values.push(word.slice(flag.length + 1));
  });
  return values;
}

/** `key=value,key=value` as an object. */
const keyValues = (text: string): Record<string, string> =>
  Object.fromEntries(text.split(',').map((pair) => pair.split('=', 2) as [string, string]));

const engineIndex = (engine: string): string | undefined =>
  ENGINES.find((e) => e.engine === engine)?.index;

interface WorkspacePackage {
  name: string;
  dir: string;
  dependencies: string[];
}

/** The workspace packages, with their production dependencies among them. */
function workspacePackages(): WorkspacePackage[] {
  return readdirSync(join(ROOT, 'packages')).flatMap((dir) => {
    let manifest: { name: string; dependencies?: Record<string, string> };
    try {
      manifest = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
    } catch {
      return [];
    }
    return [
      {
        name: manifest.name,
        dir,
        dependencies: Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@som/')),
      },
    ];
  });
}

describe('deploy/Dockerfile', () => {
  const instructions = logicalLines(read('Dockerfile')).map((line) => {
    const [keyword = '', ...rest] = line.trim().split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
  const stageStarts = instructions.flatMap((instruction, i) =>
    instruction.keyword === 'FROM' ? [i] : [],
  );
  const runtime = instructions.slice(stageStarts[stageStarts.length - 1]);
  const build = instructions.slice(0, stageStarts[stageStarts.length - 1]);

  it('builds in one stage and runs from a second one on Node 20', () => {
    expect(stageStarts.length).toBeGreaterThanOrEqual(2);
    expect(runtime[0]?.args).toMatch(/^node:20[-.\w]*$/);
  });

  it('keeps every package som runs, drops the test support and every development dependency', () => {
    const packages = workspacePackages();
    const byName = new Map(packages.map((p) => [p.name, p]));
    const closure = (name: string, into = new Set<string>()): Set<string> => {
      if (!into.has(name)) {
        into.add(name);
        for (const dep of byName.get(name)?.dependencies ?? []) closure(dep, into);
      }
      return into;
    };
    const needed = closure('@som/cli');
    const testSupport = packages.filter((p) => closure(p.name).has('@som/testing'));
    expect(testSupport.map((p) => p.name)).toContain('@som/testing');
    const removed = build
      .filter((i) => i.keyword === 'RUN')
      .flatMap((i) => [...i.args.matchAll(/packages\/([\w-]+)(?=[\s&;]|$)/g)].map((m) => m[1]));
    for (const p of packages.filter((p) => needed.has(p.name)))
      expect(removed).not.toContain(p.dir);
    for (const p of testSupport) expect(removed).toContain(p.dir);
    expect(build.some((i) => i.keyword === 'RUN' && /npm prune --omit=dev/.test(i.args))).toBe(
      true,
    );
  });

  it('installs and compiles nothing at run time, runs as an unprivileged user, with som as entry point', () => {
    for (const instruction of runtime.filter((i) => i.keyword === 'RUN'))
      expect(instruction.args).not.toMatch(/npm (ci|install)|apt-get install|tsc/);
    for (const instruction of runtime.filter((i) => i.keyword === 'COPY'))
      expect(instruction.args).toMatch(/^--from=build /);
    const user = runtime.filter((i) => i.keyword === 'USER').pop();
    expect(user?.args).toBeDefined();
    expect(user?.args).not.toMatch(/^(root|0)$/);
    expect(JSON.parse(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '[]')).toEqual([
      'som',
    ]);
  });
});

describe('deploy/cloud-run-job.sh', () => {
  const lines = logicalLines(read('cloud-run-job.sh')).map(shellWords);
  const create = lines.find((words) => words.slice(0, 4).join(' ') === 'gcloud run jobs create');

  it('creates a job of one task per shard, with parallelism and retries', () => {
    expect(create).toBeDefined();
    const words = create as string[];
    for (const flag of ['--tasks', '--parallelism', '--max-retries', '--image'])
      expect(flagValues(words, flag)).toHaveLength(1);
    expect(flagValues(words, '--max-retries')[0]).toMatch(/^\d+$/);
    expect(engineIndex('Cloud Run')).toBe('CLOUD_RUN_TASK_INDEX');
  });

  it('takes the key from Secret Manager as SOM_SECRET', () => {
    expect(flagValues(create as string[], '--set-secrets')).toEqual([
      expect.stringMatching(/^SOM_SECRET=[^,:]+:(latest|\d+)$/),
    ]);
  });

  it('mounts the source bucket read-only with Cloud Storage FUSE and runs upload --plan from a mounted plan bucket', () => {
    const words = create as string[];
    const volumes = flagValues(words, '--add-volume').map(keyValues);
    const mounts = flagValues(words, '--add-volume-mount').map(keyValues);
    const mountOf = (name: string | undefined): string | undefined =>
      mounts.find((m) => m.volume === name)?.['mount-path'];
    expect(volumes.every((v) => v.type === 'cloud-storage' && v.bucket !== undefined)).toBe(true);
    const source = volumes.find((v) => v.readonly === 'true');
    const plans = volumes.find((v) => v.readonly !== 'true');
    expect(mountOf(source?.name)).toBeDefined();
    const [command, flag, plan] = (flagValues(words, '--args')[0] ?? '').split(',');
    expect([command, flag]).toEqual(['upload', '--plan']);
    expect(plan?.startsWith(`${mountOf(plans?.name)}/`)).toBe(true);
  });
});

describe('deploy/kubernetes-job.yaml', () => {
  const job = parseYaml(read('kubernetes-job.yaml'));
  const pod = job.spec.template.spec;
  const container = pod.containers[0];

  it('is an Indexed Job with a retry budget per index and no overlapping replacement', () => {
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
    expect(job.spec.completionMode).toBe('Indexed');
    expect(Number.isInteger(job.spec.completions)).toBe(true);
    expect(Number.isInteger(job.spec.parallelism)).toBe(true);
    expect(Number.isInteger(job.spec.backoffLimitPerIndex)).toBe(true);
    expect(job.spec.podReplacementPolicy).toBe('Failed');
    expect(engineIndex('Kubernetes')).toBe('JOB_COMPLETION_INDEX');
  });

  it('fails the index on exit 1 and 2 (a pod failure policy needs restartPolicy Never)', () => {
    expect(job.spec.podFailurePolicy.rules).toContainEqual({
      action: 'FailIndex',
      onExitCodes: { containerName: container.name, operator: 'In', values: [1, 2] },
    });
    expect(pod.restartPolicy).toBe('Never');
  });

  it('runs upload --plan with SOM_SECRET from a Secret, the source read-only, the plan writable', () => {
    expect(container.args.slice(0, 2)).toEqual(['upload', '--plan']);
    const secret = container.env.find((e: { name: string }) => e.name === 'SOM_SECRET');
    expect(secret.valueFrom.secretKeyRef).toEqual({
      name: expect.any(String),
      key: expect.any(String),
    });
    const mounts: { name: string; mountPath: string; readOnly?: boolean }[] =
      container.volumeMounts;
    const plan: string = container.args[2];
    const planMount = mounts.find((m) => plan.startsWith(`${m.mountPath}/`));
    expect(planMount?.readOnly).not.toBe(true);
    expect(mounts.filter((m) => m !== planMount).every((m) => m.readOnly === true)).toBe(true);
  });
});

describe('deploy/cloud-batch-job.json', () => {
  const job = readJson('cloud-batch-job.json');
  const [group] = job.taskGroups;
  const spec = group.taskSpec;
  const container = spec.runnables[0].container;

  it('is one task per shard with parallelism and retries that skip exit 1 and 2', () => {
    expect(Number.isInteger(group.taskCount)).toBe(true);
    expect(Number.isInteger(group.parallelism)).toBe(true);
    expect(spec.maxRetryCount).toBeGreaterThanOrEqual(1);
    expect(spec.maxRetryCount).toBeLessThanOrEqual(10);
    expect(spec.lifecyclePolicies).toContainEqual({
      action: 'FAIL_TASK',
      actionCondition: { exitCodes: [1, 2] },
    });
    expect(engineIndex('Google Cloud Batch')).toBe('BATCH_TASK_INDEX');
  });

  it('runs upload --plan with SOM_SECRET from Secret Manager, the source bucket read-only', () => {
    expect(container.imageUri).toEqual(expect.any(String));
    expect(container.commands.slice(0, 2)).toEqual(['upload', '--plan']);
    expect(spec.environment.secretVariables.SOM_SECRET).toMatch(
      /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/,
    );
    const volumes: { gcs?: { remotePath: string }; mountPath: string; mountOptions?: string[] }[] =
      spec.volumes;
    expect(volumes.every((v) => v.gcs !== undefined)).toBe(true);
    const plan: string = container.commands[2];
    const planVolume = volumes.find((v) => plan.startsWith(`${v.mountPath}/`));
    expect(planVolume).toBeDefined();
    for (const volume of volumes.filter((v) => v !== planVolume)) {
      expect(volume.mountOptions).toContain('-o ro');
      expect(container.volumes).toContain(`${volume.mountPath}:${volume.mountPath}:ro`);
    }
  });
});

describe('deploy/aws-batch-job-definition.json and aws-batch-submit.sh', () => {
  const definition = readJson('aws-batch-job-definition.json');
  const container = definition.containerProperties;

  it('retries a child except on exit 1 and 2, the first matching rule deciding', () => {
    const { attempts, evaluateOnExit } = definition.retryStrategy;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(10);
    expect(evaluateOnExit).toEqual([
      { onExitCode: '1', action: 'EXIT' },
      { onExitCode: '2', action: 'EXIT' },
      { onExitCode: '*', action: 'RETRY' },
    ]);
    expect(engineIndex('AWS Batch')).toBe('AWS_BATCH_JOB_ARRAY_INDEX');
  });

  it('runs upload --plan with SOM_SECRET from Secrets Manager, the source read-only', () => {
    expect(definition.type).toBe('container');
    expect(container.image).toEqual(expect.any(String));
    expect(container.command.slice(0, 2)).toEqual(['upload', '--plan']);
    expect(container.secrets).toContainEqual({
      name: 'SOM_SECRET',
      valueFrom: expect.stringMatching(/^arn:aws:secretsmanager:/),
    });
    const plan: string = container.command[2];
    const mounts: { sourceVolume: string; containerPath: string; readOnly: boolean }[] =
      container.mountPoints;
    for (const mount of mounts)
      expect(mount.readOnly).toBe(!plan.startsWith(`${mount.containerPath}/`));
    const names = container.volumes.map((v: { name: string }) => v.name).sort();
    expect(mounts.map((m) => m.sourceVolume).sort()).toEqual(names);
  });

  it('is submitted as an array job of the definition', () => {
    const submit = logicalLines(read('aws-batch-submit.sh'))
      .map(shellWords)
      .find((words) => words.slice(0, 3).join(' ') === 'aws batch submit-job');
    expect(flagValues(submit ?? [], '--job-definition')).toEqual([definition.jobDefinitionName]);
    expect(flagValues(submit ?? [], '--array-properties')).toEqual([
      expect.stringMatching(/^size=/),
    ]);
  });
});

describe('deploy/slurm', () => {
  const directives = (name: string): string[] =>
    read(name)
      .split('\n')
      .filter((line) => line.startsWith('#SBATCH '))
      .map((line) => line.slice('#SBATCH '.length).trim());
  const commands = (name: string): string[][] => logicalLines(read(name)).map(shellWords);

  it('runs one shard per array task, requeueable', () => {
    expect(directives('slurm/som-upload.sbatch')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^--array=0-\d+%\d+$/), '--requeue']),
    );
    expect(commands('slurm/som-upload.sbatch')).toContainEqual([
      'exec',
      'som',
      'upload',
      '--plan',
      '${SOM_PLAN}',
    ]);
    expect(engineIndex('Slurm')).toBe('SLURM_ARRAY_TASK_ID');
  });

  it('submits the array over 0..N-1 and finalize once every task succeeded', () => {
    expect(commands('slurm/som-finalize.sbatch')).toContainEqual([
      'exec',
      'som',
      'finalize',
      '--plan',
      '${SOM_PLAN}',
    ]);
    // `array=$(sbatch ...)`: the words after sbatch.
    const sbatch = commands('slurm/submit.sh').flatMap((words) => {
      const at = words.findIndex((word) => /(^|\()sbatch$/.test(word));
      return at < 0 ? [] : [words.slice(at + 1)];
    });
    expect(flagValues(sbatch[0] ?? [], '--array')).toEqual(['0-$((shards - 1))%${parallel}']);
    expect(sbatch[0]?.pop()).toMatch(/som-upload\.sbatch\)$/);
    expect(flagValues(sbatch[1] ?? [], '--dependency')).toEqual(['afterok:${array}']);
    expect(sbatch[1]?.pop()).toMatch(/som-finalize\.sbatch\)$/);
  });
});
