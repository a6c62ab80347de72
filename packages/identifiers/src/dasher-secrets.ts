/**
 * The DASHER secrets file, in the format of the original som client:
 * `{"accessToken": "...", "refreshToken": "...", "token_uri": "https://.../refresh", "client_id": "..."}`.
 * Tokens are held in private fields and never shown; a refreshed access token is written
 * back atomically (mode 0600), keeping every other field.
 */
import { readFile, stat } from 'node:fs/promises';
import { inspect } from 'node:util';
import { isJsonObject, parseJson, SomError } from '@som/core';
import { fileReadError, writeFileAtomic } from './files';

/**
 * Environment variables naming the secrets file, first found wins: `SOM_DASHER_SECRETS`,
 * then `STANFORD_CLIENT_SECRETS` (the original som client's).
 */
export const DASHER_SECRETS_ENV: readonly string[] = Object.freeze([
  'SOM_DASHER_SECRETS',
  'STANFORD_CLIENT_SECRETS',
]);

/** The secrets file path named by the environment (see {@link DASHER_SECRETS_ENV}), if any. */
export function dasherSecretsPathFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of DASHER_SECRETS_ENV) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

const WHAT = 'DASHER secrets file';

/** The tokens of a DASHER secrets file; nothing about them shows in logs or JSON. */
export class DasherCredentials {
  readonly #accessToken: string;
  readonly #refreshToken: string | undefined;

  /** The secrets file the tokens came from. */
  readonly path: string;
  /** Where to refresh the access token (`token_uri`), if the file names it. */
  readonly tokenUri: string | undefined;
  /** True when the file is readable by group or others (worth a warning). */
  readonly exposed: boolean;

  private constructor(
    path: string,
    accessToken: string,
    refreshToken: string | undefined,
    tokenUri: string | undefined,
    exposed: boolean,
  ) {
    this.path = path;
    this.#accessToken = accessToken;
    this.#refreshToken = refreshToken;
    this.tokenUri = tokenUri;
    this.exposed = exposed;
  }

  /**
   * Read the secrets file at `path`.
   * @throws SomError NotFound / PermissionDenied when it cannot be read; InvalidArgument
   *   when it is not JSON or lacks a string `accessToken` (messages never quote the file).
   */
  static async read(path: string): Promise<DasherCredentials> {
    let text: string;
    let exposed = false;
    try {
      text = await readFile(path, 'utf8');
      exposed = process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0;
    } catch (err) {
      throw fileReadError(path, WHAT, err);
    }
    const json = parseJson(text, `${WHAT} ${path}`);
    if (!isJsonObject(json))
      throw new SomError('InvalidArgument', `${WHAT} ${path} is not a JSON object`);
    const problems: string[] = [];
    const { accessToken, refreshToken, token_uri: tokenUri } = json;
    if (typeof accessToken !== 'string' || accessToken === '')
      problems.push('no accessToken (a non-empty string)');
    if (refreshToken !== undefined && typeof refreshToken !== 'string')
      problems.push('refreshToken is not a string');
    if (tokenUri !== undefined && (typeof tokenUri !== 'string' || !URL.canParse(tokenUri))) {
      problems.push('token_uri is not a URL');
    }
    if (problems.length > 0) {
      throw new SomError('InvalidArgument', `${WHAT} ${path}: ${problems.join('; ')}`);
    }
    return new DasherCredentials(
      path,
      accessToken as string,
      (refreshToken as string | undefined) || undefined,
      tokenUri as string | undefined,
      exposed,
    );
  }

  /** True when the access token can be refreshed (the file has a refreshToken and a token_uri). */
  get canRefresh(): boolean {
    return this.#refreshToken !== undefined && this.tokenUri !== undefined;
  }

  /** The `Authorization` header value. */
  authorization(): string {
    return `Bearer ${this.#accessToken}`;
  }

  /** True when this holds the same access token as `other`. */
  sameAccessToken(other: DasherCredentials): boolean {
    return this.#accessToken === other.#accessToken;
  }

  /** The JSON body of a refresh request, as the original client sent it: `{"refreshToken": ...}`. */
  refreshRequestBody(): string {
    return JSON.stringify({ refreshToken: this.#refreshToken });
  }

  /** Every secret value held, for redacting messages. */
  secretValues(): string[] {
    return [this.#accessToken, this.#refreshToken].filter((s): s is string => s !== undefined);
  }

  /**
   * Store a refreshed access token (and a rotated refresh token, when the token endpoint
   * gave one) back to the secrets file atomically, keeping its other fields, and return
   * the new credentials.
   */
  async withRefreshed(
    accessToken: string,
    refreshToken: string | undefined,
  ): Promise<DasherCredentials> {
    let json: Record<string, unknown> = {};
    try {
      const current = parseJson(await readFile(this.path, 'utf8'), `${WHAT} ${this.path}`);
      if (isJsonObject(current)) json = current;
    } catch {
      // Rewrite from what we hold.
      json = { token_uri: this.tokenUri };
    }
    const rotated = refreshToken ?? this.#refreshToken;
    json.accessToken = accessToken;
    if (rotated !== undefined) json.refreshToken = rotated;
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(json, null, 2)}\n`, 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new SomError(
        'Internal',
        `cannot save the refreshed access token to ${WHAT} ${this.path} (${code})`,
      );
    }
    return new DasherCredentials(this.path, accessToken, rotated, this.tokenUri, false);
  }

  /** `DasherCredentials(<path>)`: never a token. */
  toString(): string {
    return `DasherCredentials(${this.path})`;
  }

  /** What `JSON.stringify` writes: the path, never a token. */
  toJSON(): { path: string } {
    return { path: this.path };
  }

  /** What `util.inspect` shows: the path, never a token. */
  [inspect.custom](): string {
    return this.toString();
  }
}
