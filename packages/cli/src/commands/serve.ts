/**
 * `som serve`: read-only pages, previews and DICOMweb (and OHIF Viewer 3 with `--viewer`)
 * over the configured stores, until Ctrl-C or SIGTERM (see `startServer` of @som/serve).
 */
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import { SomError } from '@som/core';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  isLoopback,
  startServer,
  type PreviewPolicy,
} from '@som/serve';
import { EXIT, type Runtime } from '../runtime';
import { configFor, withClient, type GlobalOptions } from './common';

interface ServeCommandOptions extends GlobalOptions {
  host: string;
  port: string;
  token?: string;
  /** False with `--no-auth`. */
  auth: boolean;
  cors?: string;
  viewer?: string;
  previews: PreviewPolicy;
}

/** The environment variable holding the token (safer than the command line, which `ps` shows). */
const TOKEN_VARIABLE = 'SOM_SERVE_TOKEN';

/** A port number (0 picks a free one), or InvalidArgument naming the flag. */
function portNumber(value: string): number {
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535))
    throw new SomError(
      'InvalidArgument',
      `--port must be a whole number from 0 to 65535, not ${JSON.stringify(value)}`,
    );
  return port;
}

async function serve(runtime: Runtime, options: ServeCommandOptions): Promise<number> {
  const port = portNumber(options.port);
  const token = options.token ?? runtime.env[TOKEN_VARIABLE];
  if (token !== undefined && token !== '') runtime.output.secrets.add(token);
  const config = configFor(runtime, options);
  return withClient(config, async (client) => {
    const server = await startServer(client, {
      host: options.host,
      port,
      ...(token !== undefined && token !== '' ? { token } : {}),
      ...(options.auth ? {} : { noAuth: true }),
      ...(options.cors !== undefined ? { cors: options.cors } : {}),
      ...(options.viewer !== undefined ? { viewer: options.viewer } : {}),
      previews: options.previews,
      log: (line) => runtime.output.message(`som: serve: ${line}`),
    });
    runtime.endsBySignal('stopping the server');
    try {
      runtime.output.line(server.url);
      const open = token ? `${server.url}/?token=<the token> once in a browser` : server.url;
      runtime.output.message(
        `som: serving ${client} read-only at ${server.url}${options.viewer !== undefined ? ` (OHIF at ${server.url}/ohif/)` : ''}; open ${open}; Ctrl-C stops`,
      );
      if (!token && !isLoopback(options.host))
        runtime.output.message(
          `som: warning: no token (--no-auth): anyone who reaches ${options.host}:${port} can read the dataset`,
        );
      if (!runtime.signal.aborted) await once(runtime.signal, 'abort');
    } finally {
      await server.close();
    }
    runtime.output.message('som: server stopped');
    return EXIT.ok;
  });
}

/** Add `som serve` to `program`; `done` receives the exit code. */
export function registerServe(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('serve')
    .description(
      'serve the dataset read-only: pages, previews, JSON and DICOMweb per collection (OHIF Viewer 3 with --viewer), until Ctrl-C',
    )
    .option('--host <host>', 'interface to bind; any but loopback needs a token', DEFAULT_HOST)
    .option('--port <port>', 'port (0 picks a free one)', String(DEFAULT_PORT))
    .option(
      '--token <t>',
      `the token every request must carry, at least 16 characters (env ${TOKEN_VARIABLE}, which ps does not show)`,
    )
    .option('--no-auth', 'serve a host other than loopback without a token (an explicit choice)')
    .option(
      '--cors <origin>',
      'the origin allowed to read from another site, e.g. https://viewer.example.org, or *',
    )
    .option(
      '--viewer <ohif-dist-dir>',
      "OHIF Viewer 3's built dist/ (packages/serve/scripts/install-ohif)",
    )
    .addOption(
      new Option(
        '--previews <policy>',
        'what thumbnails show: safe (placeholders for BurnedInAnnotation YES and US, SC, OT, XC), all, none',
      )
        .choices(['safe', 'all', 'none'])
        .default('safe'),
    )
    .addHelpText(
      'after',
      `
Prints its address on stdout. Programs send the token as "Authorization: Bearer <token>";
a browser opens any page once with ?token=<token> (a session cookie follows). Read-only:
no route uploads, changes or deletes anything. Ctrl-C or SIGTERM stops it (exit code 0).
Documentation: docs/serve.md.`,
    )
    .action(async (_options: ServeCommandOptions, command: Command) => {
      done(await serve(runtime, command.optsWithGlobals<ServeCommandOptions>()));
    });
}
