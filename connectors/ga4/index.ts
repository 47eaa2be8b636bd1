import type { Connector, StreamDefinition } from '../../core/connector.ts';
import { ga4Declaration } from './declaration.ts';
import { createGa4Auth, Ga4Client } from './client.ts';
import { ConfigError } from '../../core/errors.ts';
import { Ga4SourceConfig, type Ga4Auth } from './config.ts';
import { readReport } from './read-report.ts';
import { ga4ReportStreams } from './streams.ts';

/** Google Analytics 4 (Data API v1beta runReport): daily traffic and event reports. */
export const ga4Connector: Connector<Ga4SourceConfig> = {
  ...ga4Declaration,

  streams(config, { secrets, log }) {
    // Auth is resolved lazily so `kpi validate` and the catalog never need credentials.
    let client: Promise<Ga4Client> | undefined;
    const getClient = () => (client ??= (async () => new Ga4Client({
      sourceId: config.id,
      propertyId: config.propertyId,
      auth: await createGa4Auth(requireAuth(config), secrets),
      ...(config.endpoint ? { rootUrl: config.endpoint } : {}),
      log,
    }))());
    return ga4ReportStreams.map((spec): StreamDefinition => ({
      table: spec.table,
      primaryKey: spec.primaryKey,
      cursorField: 'date',
      partitionField: 'date',
      writeMode: 'overwrite_partition',
      lookbackDays: config.lookbackDays,
      async *read(context) {
        yield* readReport(await getClient(), config, spec, context);
      },
    }));
  },

  async startSandbox(config, { anchorDate }) {
    // Loaded only here: the sandbox (seeded data, HTTP server) is local-only and never bundled into a Lambda.
    const { startGa4Sandbox } = await import('./sandbox/server.ts');
    const sandbox = await startGa4Sandbox({ seed: config.sandbox?.seed ?? 42, oddValues: config.sandbox?.oddValues ?? 0, anchorDate, propertyId: config.propertyId });
    // The sandbox's bearer token travels as a secret, like a real credential, and never reaches disk.
    const secret = `sandbox/${config.id}`;
    return {
      sandbox,
      config: { ...config, endpoint: sandbox.url, auth: { type: 'access_token', secret } },
      secrets: { [secret]: sandbox.accessToken },
    };
  },
};

function requireAuth(config: Ga4SourceConfig): Ga4Auth {
  if (!config.auth) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.auth`, message: 'add auth (or sandbox: {} to use the bundled sandbox)' }]);
  return config.auth;
}
