import type { Connector, StreamDefinition } from '../../core/connector.ts';
import { linkedinDeclaration } from './declaration.ts';
import { ConfigError } from '../../core/errors.ts';
import { LinkedinClient, resolveLinkedinCredentials } from './client.ts';
import { LINKEDIN_DEFAULT_API_ROOT, LinkedinSourceConfig, type LinkedinAuth } from './config.ts';
import { readCampaignDaily } from './read-analytics.ts';
import type { LinkedinSandboxAccount } from './sandbox/seed-data.ts';
import { adsLinkedinCampaignDaily, linkedinPrimaryKey } from './streams.ts';

/** LinkedIn Marketing API (adAnalytics, pivot CAMPAIGN, DAILY): ad spend and results per campaign and UTC day. */
export const linkedinConnector: Connector<LinkedinSourceConfig> = {
  ...linkedinDeclaration,

  streams(config, { secrets, log }) {
    // Credentials are resolved lazily so `kpi validate` and the catalog never need them.
    let client: Promise<LinkedinClient> | undefined;
    const getClient = () => (client ??= (async () => new LinkedinClient({
      sourceId: config.id,
      apiRoot: config.endpoint ?? LINKEDIN_DEFAULT_API_ROOT,
      apiVersion: config.apiVersion,
      credentials: await resolveLinkedinCredentials(requireAuth(config), secrets, config.tokenUrl),
      log,
    }))());
    const stream: StreamDefinition = {
      table: adsLinkedinCampaignDaily,
      primaryKey: linkedinPrimaryKey,
      cursorField: 'date',
      partitionField: 'date',
      writeMode: 'overwrite_partition',
      lookbackDays: config.lookbackDays,
      async *read(context) {
        yield* readCampaignDaily(await getClient(), config, context);
      },
    };
    return [stream];
  },

  async startSandbox(config, { anchorDate }) {
    // Loaded only here: the sandbox (seeded data, HTTP server) is local-only and never bundled into a Lambda.
    const [{ startLinkedinSandbox }, { defaultLinkedinSandboxAccount }] = await Promise.all([import('./sandbox/server.ts'), import('./sandbox/seed-data.ts')]);
    const sandbox = await startLinkedinSandbox({ seed: config.sandbox?.seed ?? 42, oddValues: config.sandbox?.oddValues ?? 0, anchorDate, accounts: sandboxAccountsFor(config.accountIds, defaultLinkedinSandboxAccount) });
    // The sandbox's bearer token travels as a secret, like a real credential, and never reaches disk.
    const secret = `sandbox/${config.id}`;
    return {
      sandbox,
      config: { ...config, endpoint: sandbox.url, tokenUrl: sandbox.tokenUrl, auth: { type: 'access_token', secret } },
      secrets: { [secret]: sandbox.accessToken },
    };
  },
};

/** The shop's account under the config's first id; any further ids are served as accounts without campaigns. */
function sandboxAccountsFor(accountIds: readonly string[], shopAccount: (id: string) => LinkedinSandboxAccount): LinkedinSandboxAccount[] {
  return accountIds.map((id, index) => index === 0
    ? shopAccount(id)
    : { id, name: `Sandbox account ${id}`, currency: 'USD', campaignGroups: [{ id: `9${id}`, name: 'Default Campaign Group', status: 'ACTIVE', campaigns: [] }] });
}

function requireAuth(config: LinkedinSourceConfig): LinkedinAuth {
  if (!config.auth) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.auth`, message: 'add auth (or sandbox: {} to use the bundled sandbox)' }]);
  return config.auth;
}
