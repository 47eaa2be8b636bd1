import path from 'node:path';
import { connectors } from '../connectors/index.ts';
import { loadConfig, type ConfiguredSource, type LoadedConfig } from '../core/config/load-config.ts';
import { ConfigError, SecretError, type ConfigProblem } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { buildLakeCatalog } from '../core/models/lake-catalog.ts';
import { streamsOf } from '../core/pipeline/sources.ts';
import type { SecretStore } from '../core/secrets.ts';
import type { LakeCatalog } from '../core/table/lake-catalog.ts';
import type { TableSchema } from '../core/table/schema.ts';

/** CloudWatch evaluates an alarm over at most 7 days when its period is an hour or more. */
export const MAX_FRESHNESS_ALARM_HOURS = 168;

/** One source as the stack deploys it: its id, its tables and the secrets its function may read. */
export interface DeployedSource {
  readonly id: string;
  readonly type: string;
  /** EventBridge Scheduler expression, run in the business time zone. */
  readonly schedule: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Secret names from `auth.secret` (and any other `secret` the connector's config names). */
  readonly secrets: readonly string[];
  /** The public tables (= streams) this source writes. */
  readonly tables: readonly string[];
  /** Lake prefixes of those tables, e.g. `raw/ga4_traffic_daily`. */
  readonly tableLocations: readonly string[];
  /** True only in a demo synth: the source reads a local sandbox and cannot run in AWS. */
  readonly sandbox: boolean;
}

export interface DeployConfig {
  /** Absolute path of the validated pipeline.yaml; it is bundled beside every function. */
  readonly file: string;
  readonly loaded: LoadedConfig;
  readonly sources: readonly DeployedSource[];
  readonly catalog: Required<LakeCatalog>;
  /** The sender address parsed out of `email.from` ("Name <addr>" or "addr"). */
  readonly senderAddress: string;
  /** True when synthesized from the example config with `-c demo=true`: never deployable. */
  readonly demo: boolean;
}

/**
 * Loads and validates pipeline.yaml for a deployment: the same schema as the CLI, plus what only
 * matters in AWS. A source that runs against its bundled sandbox cannot be deployed (there is no
 * vendor behind it and no secret to read), so it is a ConfigError unless `demo` is set.
 */
export async function loadDeployConfig(file: string, options: { demo?: boolean } = {}): Promise<DeployConfig> {
  const absolute = path.resolve(file);
  const loaded = await loadConfig(absolute, connectors);
  const demo = options.demo ?? false;
  const problems: ConfigProblem[] = [];

  const streamTables = new Map<string, TableSchema>();
  const sources = loaded.sources.map((source, index): DeployedSource => {
    const isSandbox = source.config.sandbox !== undefined;
    if (isSandbox && !demo) {
      problems.push({
        path: `sources[${index}].sandbox`,
        message: `source "${source.config.id}" reads the bundled sandbox, which does not exist in AWS: remove sandbox: and add ` +
          `auth: { type: …, secret: <secret name> } (see docs/deploy-to-aws.md), or synth the example with -c demo=true`,
      });
    }
    const tables = tablesOf(source);
    tables.forEach((t) => streamTables.set(t.name, t));
    return describeSource(source, tables, isSandbox);
  });

  const { deploy } = loaded.config;
  if (deploy.freshnessAlarmHours > MAX_FRESHNESS_ALARM_HOURS) {
    problems.push({
      path: 'deploy.freshnessAlarmHours',
      message: `write at most ${MAX_FRESHNESS_ALARM_HOURS} (7 days): CloudWatch evaluates an alarm over at most 7 days`,
    });
  }
  const senderAddress = parseSenderAddress(loaded.config.email.from);
  if (senderAddress === undefined) {
    problems.push({ path: 'email.from', message: 'write the sender as an address or "Name <address>", e.g. "KPI 알림 <kpi@example.com>"' });
  }
  if (problems.length > 0) throw new ConfigError(absolute, problems);

  return { file: absolute, loaded, sources, catalog: withStreamTables(buildLakeCatalog(connectors), streamTables), senderAddress: senderAddress!, demo };
}

/** Synth never reads a secret: connectors resolve credentials lazily, when a stream is read. */
const noSecrets: SecretStore = {
  get: (name) => Promise.reject(new SecretError(`secret "${name}" is not read at synth time`)),
};
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

/**
 * The tables a source writes: the tables of the streams its config asks for (Salesforce: exactly
 * the configured objects, a custom object included), or the connector's declared tables when its
 * streams cannot be listed without credentials.
 */
function tablesOf(source: ConfiguredSource): TableSchema[] {
  try {
    const byName = new Map(streamsOf(source, noSecrets, silent).map((stream) => [stream.table.name, stream.table]));
    return [...byName.values()];
  } catch {
    return [...source.connector.tables];
  }
}

/** The catalog's tables and views, plus stream tables only a configured source knows. */
function withStreamTables(catalog: Required<LakeCatalog>, streamTables: ReadonlyMap<string, TableSchema>): Required<LakeCatalog> {
  const known = new Set(catalog.tables.map((t) => t.name));
  const extra = [...streamTables.values()].filter((t) => !known.has(t.name));
  return { tables: [...catalog.tables, ...extra], views: catalog.views };
}

function describeSource(source: ConfiguredSource, tables: readonly TableSchema[], sandbox: boolean): DeployedSource {
  const { config } = source;
  return {
    id: config.id,
    type: config.type,
    schedule: config.schedule,
    memoryMb: config.function.memoryMb,
    timeoutSeconds: config.function.timeoutSeconds,
    secrets: sandbox ? [] : secretNamesOf(config),
    tables: tables.map((t) => t.name),
    tableLocations: tables.map((t) => t.location),
    sandbox,
  };
}

/**
 * Every secret name a source's config refers to: any `secret` string in it (today `auth.secret`).
 * Walking the whole object keeps a connector that names a second secret from silently losing access.
 */
export function secretNamesOf(config: unknown): string[] {
  const names = new Set<string>();
  const visit = (value: unknown, key: string | undefined) => {
    if (typeof value === 'string') {
      if (key === 'secret') names.add(value);
    } else if (Array.isArray(value)) {
      value.forEach((item) => visit(item, undefined));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(config, undefined);
  return [...names].sort();
}

/** `"KPI 알림 <kpi@example.com>"` → `kpi@example.com`; a bare address is returned as is. */
export function parseSenderAddress(from: string): string | undefined {
  const bracketed = /<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$/.exec(from);
  const address = bracketed ? bracketed[1]! : from.trim();
  return /^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/.test(address) ? address : undefined;
}
