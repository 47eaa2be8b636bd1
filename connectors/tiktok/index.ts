import type { Connector, StreamDefinition } from '../../core/connector.ts';
import { tiktokDeclaration } from './declaration.ts';
import { ConfigError } from '../../core/errors.ts';
import { resolveAccessToken, TiktokClient } from './client.ts';
import { TiktokSourceConfig, type TiktokAuth } from './config.ts';
import { readCampaignDaily } from './read-report.ts';
import { tiktokCampaignDaily, tiktokPrimaryKey } from './streams.ts';

/**
 * TikTok Ads (Marketing API v1.3 integrated report): spend, delivery and conversions per
 * advertiser, campaign and day, in each ad account's own time zone and currency. TikTok reports
 * lag about 11 hours, so the pipeline's "last complete day" (yesterday) may still move; the
 * lookback re-reads it on the next runs.
 */
export const tiktokConnector: Connector<TiktokSourceConfig> = {
  ...tiktokDeclaration,

  streams(config, { secrets, log }) {
    // The token is read lazily so `kpi validate` and the catalog never need credentials.
    let client: Promise<TiktokClient> | undefined;
    const getClient = () => (client ??= (async () => new TiktokClient({
      sourceId: config.id,
      accessToken: await resolveAccessToken(requireAuth(config), secrets),
      apiVersion: config.apiVersion,
      ...(config.endpoint ? { rootUrl: config.endpoint } : {}),
      log,
    }))());
    const stream: StreamDefinition = {
      table: tiktokCampaignDaily,
      primaryKey: tiktokPrimaryKey,
      cursorField: 'date',
      partitionField: 'date',
      writeMode: 'overwrite_partition',
      lookbackDays: config.lookbackDays,
      async *read(context) {
        yield* readCampaignDaily(await getClient(), {
          sourceId: config.id,
          advertiserIds: requireAdvertiserIds(config),
          chunkDays: config.chunkDays,
          pageSize: config.pageSize,
        }, context);
      },
    };
    return [stream];
  },

  async startSandbox(config, { anchorDate }) {
    // Loaded only here: the sandbox (seeded data, HTTP server) is local-only and never bundled into a Lambda.
    const [{ startTiktokSandbox }, { TIKTOK_SANDBOX_ADVERTISER_ID }] = await Promise.all([import('./sandbox/server.ts'), import('./sandbox/seed-data.ts')]);
    const advertiserIds = config.advertiserIds ?? [TIKTOK_SANDBOX_ADVERTISER_ID];
    const sandbox = await startTiktokSandbox({ seed: config.sandbox?.seed ?? 42, oddValues: config.sandbox?.oddValues ?? 0, anchorDate, advertiserIds });
    // The sandbox's token travels as a secret, like a real credential, and never reaches disk.
    const secret = `sandbox/${config.id}`;
    return {
      sandbox,
      config: { ...config, advertiserIds, endpoint: sandbox.url, auth: { type: 'access_token', secret } },
      secrets: { [secret]: sandbox.accessToken },
    };
  },
};

function requireAuth(config: TiktokSourceConfig): TiktokAuth {
  if (!config.auth) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.auth`, message: 'add auth: { type: access_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)' }]);
  return config.auth;
}

function requireAdvertiserIds(config: TiktokSourceConfig): readonly string[] {
  if (!config.advertiserIds) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.advertiserIds`, message: 'list the advertiser ids to read (or sandbox: {} to use the bundled sandbox)' }]);
  return config.advertiserIds;
}
