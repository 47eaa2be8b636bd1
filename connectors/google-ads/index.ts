import type { Connector, StreamDefinition } from '../../core/connector.ts';
import { googleAdsDeclaration } from './declaration.ts';
import { ConfigError } from '../../core/errors.ts';
import { createGoogleAdsCredentials, GoogleAdsClient } from './client.ts';
import { GoogleAdsSourceConfig, type GoogleAdsAuth } from './config.ts';
import { readReport } from './read-report.ts';
import { googleAdsReportStreams } from './streams.ts';

/** Google Ads (REST googleAds:searchStream): daily campaign delivery, cost and conversions. */
export const googleAdsConnector: Connector<GoogleAdsSourceConfig> = {
  ...googleAdsDeclaration,

  streams(config, { secrets, log }) {
    // Credentials are resolved lazily so `kpi validate` and the catalog never need them.
    let client: Promise<GoogleAdsClient> | undefined;
    const getClient = () => (client ??= (async () => new GoogleAdsClient({
      sourceId: config.id,
      credentials: await createGoogleAdsCredentials(requireAuth(config), secrets),
      apiVersion: config.apiVersion,
      ...(config.endpoint ? { rootUrl: config.endpoint } : {}),
      ...(config.loginCustomerId ? { loginCustomerId: config.loginCustomerId } : {}),
      log,
    }))());
    return googleAdsReportStreams.map((spec): StreamDefinition => ({
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
    const { startGoogleAdsSandbox } = await import('./sandbox/server.ts');
    const sandbox = await startGoogleAdsSandbox({
      seed: config.sandbox?.seed ?? 42,
      oddValues: config.sandbox?.oddValues ?? 0,
      anchorDate,
      ...(config.loginCustomerId ? { managerCustomerId: config.loginCustomerId } : {}),
    });
    // The sandbox's bearer token travels as a secret, like a real credential, and never reaches disk.
    const secret = `sandbox/${config.id}`;
    return {
      sandbox,
      config: { ...config, endpoint: sandbox.url, customerIds: sandboxCustomerIds(config.customerIds, sandbox.customerIds), auth: { type: 'access_token', secret } },
      secrets: { [secret]: sandbox.accessToken },
    };
  },
};

/** The configured accounts the sandbox serves, or all of its accounts when none of them is configured. */
function sandboxCustomerIds(configured: readonly string[], served: readonly string[]): string[] {
  const known = configured.filter((id) => served.includes(id));
  return known.length > 0 ? known : [...served];
}

function requireAuth(config: GoogleAdsSourceConfig): GoogleAdsAuth {
  if (!config.auth) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.auth`, message: 'add auth (or sandbox: {} to use the bundled sandbox)' }]);
  return config.auth;
}
