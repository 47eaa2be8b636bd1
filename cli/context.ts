import { existsSync } from 'node:fs';
import path from 'node:path';
import { connectors } from '../connectors/index.ts';
import type { ConfiguredSource, LoadedConfig } from '../core/config/load-config.ts';
import { loadConfig } from '../core/config/load-config.ts';
import type { RunningSandbox } from '../core/connector.ts';
import { addDays, isIsoDate, todayIn } from '../core/dates.ts';
import { createMailer, type Mailer } from '../core/email/mailer.ts';
import { UsageError } from '../core/errors.ts';
import { buildLakeCatalog } from '../core/models/lake-catalog.ts';
import { LocalFolderStore } from '../core/lake/local-folder-store.ts';
import type { Logger } from '../core/log.ts';
import { DuckDbEngine } from '../core/query/duckdb-engine.ts';
import { LayeredSecretStore, LocalSecretStore, type SecretStore } from '../core/secrets.ts';

/** Options every command shares. */
export interface CommonOptions {
  readonly config: string;
  readonly dataDir: string;
  readonly asOf?: string;
  readonly secrets?: string;
}

/** Everything a command needs, built once: the local adapters of every port. */
export interface CliContext {
  readonly loaded: LoadedConfig;
  readonly sources: readonly ConfiguredSource[];
  readonly store: LocalFolderStore;
  readonly secrets: SecretStore;
  readonly mailer: Mailer;
  readonly lakeDir: string;
  readonly outboxDir: string;
  /** The last complete day in the business time zone. */
  readonly asOf: string;
  readonly log: Logger;
  openEngine(): Promise<DuckDbEngine>;
  close(): Promise<void>;
}

/** Every public table and view any connector provides (queries without a config use this). */
export const defaultLakeCatalog = buildLakeCatalog(connectors);

export async function createContext(options: CommonOptions, log: Logger, settings: { startSandboxes: boolean }): Promise<CliContext> {
  const loaded = await loadConfig(options.config, connectors);
  const asOf = options.asOf ?? addDays(todayIn(loaded.config.timezone), -1);
  if (!isIsoDate(asOf)) throw new UsageError(`--as-of must be a date as YYYY-MM-DD, not "${asOf}"`);
  const lakeDir = path.resolve(options.dataDir, 'lake');
  const outboxDir = path.resolve(options.dataDir, 'outbox');
  const secretsFile = options.secrets ?? (existsSync('secrets.local.json') ? 'secrets.local.json' : undefined);
  let secrets: SecretStore = new LocalSecretStore(secretsFile ? { file: secretsFile } : {});

  const sandboxes: RunningSandbox[] = [];
  let sources = loaded.sources;
  if (settings.startSandboxes) {
    const sandboxSecrets: Record<string, string> = {};
    const pointed: ConfiguredSource[] = [];
    sources = pointed;
    try {
      for (const source of loaded.sources) {
        if (!source.config.sandbox || !source.connector.startSandbox) {
          pointed.push(source);
          continue;
        }
        const started = await source.connector.startSandbox(source.config, { anchorDate: addDays(asOf, 1) });
        sandboxes.push(started.sandbox);
        Object.assign(sandboxSecrets, started.secrets);
        pointed.push({ ...source, config: started.config });
        log.info(`sandbox for ${source.config.id} (${source.connector.type}) at ${started.sandbox.url}`);
      }
    } catch (error) {
      await Promise.all(sandboxes.map((s) => s.stop()));
      throw error;
    }
    secrets = new LayeredSecretStore(sandboxSecrets, secrets);
  }

  const engines: DuckDbEngine[] = [];
  const smtpUrl = process.env.SMTP_URL;
  return {
    loaded, sources, secrets, asOf, lakeDir, outboxDir, log,
    store: new LocalFolderStore(lakeDir),
    mailer: createMailer({ outboxDir, ...(smtpUrl ? { smtpUrl } : {}) }),
    async openEngine() {
      const engine = await DuckDbEngine.open({ lakeRoot: lakeDir, ...loaded.catalog });
      engines.push(engine);
      return engine;
    },
    async close() {
      await Promise.all(engines.map((e) => e.close()));
      await Promise.all(sandboxes.map((s) => s.stop()));
    },
  };
}
