import type { Connector, StreamDefinition } from '../../core/connector.ts';
import { metaDeclaration } from './declaration.ts';
import { ConfigError } from '../../core/errors.ts';
import { MetaClient, readMetaAccessToken } from './client.ts';
import { MetaSourceConfig, type MetaAuth } from './config.ts';
import { readCampaignDaily } from './read-insights.ts';
import { adsMetaCampaignDaily, adsMetaCampaignDailyPrimaryKey } from './streams.ts';

/** Meta (Facebook, Instagram) Marketing API insights: campaign × day delivery, spend and conversions. */
export const metaConnector: Connector<MetaSourceConfig> = {
  ...metaDeclaration,

  streams(config, { secrets, log }) {
    // The token is read lazily so `kpi validate` and the catalog never need credentials.
    let client: Promise<MetaClient> | undefined;
    const getClient = () => (client ??= (async () => new MetaClient({
      sourceId: config.id,
      accessToken: await readMetaAccessToken(requireAuth(config), secrets),
      ...(config.endpoint ? { rootUrl: config.endpoint } : {}),
      apiVersion: config.apiVersion,
      log,
      rateLimit: {
        slowDownAtPercent: config.rateLimit.slowDownAtPercent,
        pauseMs: config.rateLimit.pauseSeconds * 1000,
        fallbackWaitMs: config.rateLimit.fallbackWaitSeconds * 1000,
        maxWaitMs: config.rateLimit.maxWaitMinutes * 60_000,
        maxRetries: config.rateLimit.maxRetries,
      },
      asyncPoll: {
        firstDelayMs: config.asyncPoll.firstDelaySeconds * 1000,
        maxDelayMs: config.asyncPoll.maxDelaySeconds * 1000,
        timeoutMs: config.asyncPoll.timeoutMinutes * 60_000,
      },
    }))());
    const stream: StreamDefinition = {
      table: adsMetaCampaignDaily,
      primaryKey: adsMetaCampaignDailyPrimaryKey,
      cursorField: 'date',
      partitionField: 'date',
      writeMode: 'overwrite_partition',
      lookbackDays: config.lookbackDays,
      async *read(context) {
        yield* readCampaignDaily(await getClient(), config, adsMetaCampaignDaily.name, context);
      },
    };
    return [stream];
  },

  async startSandbox(config, { anchorDate }) {
    // Loaded only here: the sandbox (seeded data, HTTP server) is local-only and never bundled into a Lambda.
    const { startMetaSandbox } = await import('./sandbox/server.ts');
    const sandbox = await startMetaSandbox({ seed: config.sandbox?.seed ?? 42, oddValues: config.sandbox?.oddValues ?? 0, anchorDate, accountIds: config.accountIds });
    // The sandbox's token travels as a secret, like a real credential, and never reaches disk.
    const secret = `sandbox/${config.id}`;
    return {
      sandbox,
      // The local sandbox finishes a report run in a few polls; Meta's real pacing stays for real accounts.
      config: {
        ...config, endpoint: sandbox.url, auth: { type: 'access_token', secret },
        asyncPoll: { ...config.asyncPoll, firstDelaySeconds: 0.05, maxDelaySeconds: 0.2 },
      },
      secrets: { [secret]: sandbox.accessToken },
    };
  },
};

function requireAuth(config: MetaSourceConfig): MetaAuth {
  if (!config.auth) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.auth`, message: 'add auth (or sandbox: {} to use the bundled sandbox)' }]);
  return config.auth;
}
