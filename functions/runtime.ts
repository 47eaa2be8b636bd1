import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { fileURLToPath } from 'node:url';
import { connectors } from '../connectors/index.ts';
import { loadConfig, type LoadedConfig } from '../core/config/load-config.ts';
import { addDays, todayIn } from '../core/dates.ts';
import { SesMailer } from '../core/email/ses-mailer.ts';
import { S3ObjectStore } from '../core/lake/s3-store.ts';
import type { Logger } from '../core/log.ts';
import { AthenaQueryEngine } from '../core/query/athena-engine.ts';
import { SecretsManagerStore } from '../core/secrets-manager-store.ts';

/**
 * What every handler shares, built once per cold start: the Powertools logger and metrics, the
 * config bundled beside the function (pipeline.yaml, validated at synth time), and the AWS
 * adapters of every port. Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
 */
export const powertoolsLogger = new PowertoolsLogger({ serviceName: 'kpi-pipeline' });
export const metrics = new Metrics({ namespace: 'KpiPipeline', serviceName: 'kpi-pipeline' });
export const log: Logger = fromPowertools(powertoolsLogger);

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the stack sets it)`);
  return value;
};

let loaded: Promise<LoadedConfig> | undefined;
/** pipeline.yaml from beside the bundle (KPI_CONFIG_FILE overrides, for tests). */
export function config(): Promise<LoadedConfig> {
  return (loaded ??= loadConfig(process.env.KPI_CONFIG_FILE ?? fileURLToPath(new URL('./pipeline.yaml', import.meta.url)), connectors));
}

export const adapters = {
  store: () => new S3ObjectStore({
    bucket: env('LAKE_BUCKET'),
    ...(process.env.LAKE_PREFIX ? { prefix: process.env.LAKE_PREFIX } : {}),
    ...(process.env.AWS_ENDPOINT_URL_S3 ? { endpoint: process.env.AWS_ENDPOINT_URL_S3 } : {}),
  }),
  secrets: () => new SecretsManagerStore({}),
  engine: () => new AthenaQueryEngine({
    workGroup: env('ATHENA_WORKGROUP'), database: env('GLUE_DATABASE'), log,
    // Athena's queries take seconds; a stand-in answers in milliseconds and tests shorten the polling.
    ...(process.env.ATHENA_POLL_MIN_MS ? { pollDelayMs: { min: Number(process.env.ATHENA_POLL_MIN_MS), max: 5_000 } } : {}),
  }),
  mailer: () => new SesMailer({ ...(process.env.SES_CONFIGURATION_SET ? { configurationSetName: process.env.SES_CONFIGURATION_SET } : {}) }),
};

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
