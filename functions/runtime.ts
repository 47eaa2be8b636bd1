import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { fileURLToPath } from 'node:url';
import { loadConfig, type LoadedConfig } from '../core/config/load-config.ts';
import type { Connector } from '../core/connector.ts';
import { addDays, todayIn } from '../core/dates.ts';
import { S3ObjectStore } from '../core/lake/s3-store.ts';
import type { Logger } from '../core/log.ts';
import { AthenaQueryEngine } from '../core/query/athena-engine.ts';
import { SecretsManagerStore } from '../core/secrets-manager-store.ts';

/**
 * What the handlers share, built once per cold start: the Powertools logger, the config bundled
 * beside the function (pipeline.yaml, validated at synth time), and the AWS adapters of the ports.
 * Each adapter is its own export, so a handler's bundle holds only the AWS SDK clients it uses
 * (ingest: S3 and Secrets Manager; snapshot: S3 and Athena; notify: S3 and Athena, and SES, which
 * notify.ts builds itself so the MIME composer never rides along in the other bundles).
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
 */
export const powertoolsLogger = new PowertoolsLogger({ serviceName: 'kpi-pipeline' });
export const log: Logger = fromPowertools(powertoolsLogger);

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the stack sets it)`);
  return value;
};

const loaded = new WeakMap<readonly Connector[], Promise<LoadedConfig>>();
/**
 * pipeline.yaml from beside the bundle (KPI_CONFIG_FILE overrides, for tests), loaded once per
 * cold start with the handler's connectors: connectors/declarations.ts's `connectorRegistry`, so
 * only the connector an ingest function runs is bundled with its client.
 */
export function config(connectors: readonly Connector[]): Promise<LoadedConfig> {
  let config = loaded.get(connectors);
  if (!config) {
    config = loadConfig(process.env.KPI_CONFIG_FILE ?? fileURLToPath(new URL('./pipeline.yaml', import.meta.url)), connectors);
    loaded.set(connectors, config);
  }
  return config;
}

export const lakeStore = () => new S3ObjectStore({
  bucket: env('LAKE_BUCKET'),
  ...(process.env.LAKE_PREFIX ? { prefix: process.env.LAKE_PREFIX } : {}),
  ...(process.env.AWS_ENDPOINT_URL_S3 ? { endpoint: process.env.AWS_ENDPOINT_URL_S3 } : {}),
});

export const secretStore = () => new SecretsManagerStore({});

export const queryEngine = () => new AthenaQueryEngine({
  workGroup: env('ATHENA_WORKGROUP'), database: env('GLUE_DATABASE'), log,
  // Athena's queries take seconds; a stand-in answers in milliseconds and tests shorten the polling.
  ...(process.env.ATHENA_POLL_MIN_MS ? { pollDelayMs: { min: Number(process.env.ATHENA_POLL_MIN_MS), max: 5_000 } } : {}),
});

/** The last complete day in the business time zone. */
export function lastCompleteDay(timeZone: string, now: Date = new Date()): string {
  return addDays(todayIn(timeZone, now), -1);
}

function fromPowertools(logger: PowertoolsLogger): Logger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    fields ? logger[level](message, fields) : logger[level](message);
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (fields) => fromPowertools(logger.createChild({ persistentKeys: fields })),
  };
}
