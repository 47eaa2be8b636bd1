import { readFile } from 'node:fs/promises';
import { SecretError } from './errors.ts';

/**
 * The secrets port: Secrets Manager in AWS; locally, environment variables or a git-ignored JSON
 * file. Secrets are referenced by name in pipeline.yaml; values never leave this port in messages.
 */
export interface SecretStore {
  /** The secret's value parsed as JSON when it is JSON, else the raw string. */
  get(name: string): Promise<unknown>;
}

/** `KPI_SECRET_<NAME>` (name upper-cased, non-alphanumerics as `_`), then the local secrets file. */
export class LocalSecretStore implements SecretStore {
  readonly #file: string | undefined;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: { file?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.#file = options.file;
    this.#env = options.env ?? process.env;
  }

  static envName(name: string): string {
    return 'KPI_SECRET_' + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  }

  async get(name: string): Promise<unknown> {
    const fromEnv = this.#env[LocalSecretStore.envName(name)];
    if (fromEnv !== undefined) return parseSecret(fromEnv);
    if (this.#file) {
      let text: string | undefined;
      try {
        text = await readFile(this.#file, 'utf8');
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new SecretError(`cannot read the secrets file ${this.#file}`, { cause });
        }
      }
      if (text !== undefined) {
        const all = parseSecret(text);
        if (typeof all === 'object' && all !== null && name in all) return (all as Record<string, unknown>)[name];
      }
    }
    throw new SecretError(
      `secret "${name}" not found: set ${LocalSecretStore.envName(name)} or add "${name}" to ${this.#file ?? 'a secrets file (--secrets)'}`,
      { context: { secret: name } },
    );
  }
}

/** JSON objects and arrays are parsed; anything else (a token, even an all-digit one) stays a string. */
export function parseSecret(text: string): unknown {
  if (!/^\s*[{[]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Secrets known in memory (a sandbox's token) in front of another store. */
export class LayeredSecretStore implements SecretStore {
  readonly #values: Map<string, string>;
  readonly #fallback: SecretStore;

  constructor(values: Record<string, string>, fallback: SecretStore) {
    this.#values = new Map(Object.entries(values));
    this.#fallback = fallback;
  }

  async get(name: string): Promise<unknown> {
    const value = this.#values.get(name);
    return value === undefined ? this.#fallback.get(name) : parseSecret(value);
  }
}
