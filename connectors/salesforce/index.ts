import type { Connector, StreamDefinition } from '../../core/connector.ts';
import { salesforceDeclaration } from './declaration.ts';
import { ConfigError } from '../../core/errors.ts';
import { SalesforceClient } from './client.ts';
import { SalesforceSourceConfig, type SalesforceAuth } from './config.ts';
import { readObject } from './read-object.ts';
import { tableOf } from './tables.ts';

export { latestViewOf } from './views.ts';
export { tableOf } from './tables.ts';

/**
 * Salesforce (REST + Bulk API 2.0 through jsforce): one incremental stream per object, appending
 * every version it reads to `salesforce_<object>`; views `salesforce_<object>_latest` keep the
 * newest version per Id without the deleted ones.
 */
export const salesforceConnector: Connector<SalesforceSourceConfig> = {
  ...salesforceDeclaration,

  streams(config, { secrets, log }) {
    // Sign-in happens lazily and once per source, so `kpi validate` and the catalog never need credentials.
    let client: Promise<SalesforceClient> | undefined;
    const getClient = () => (client ??= SalesforceClient.connect({
      sourceId: config.id,
      auth: requireAuth(config),
      secrets,
      instanceUrl: config.instanceUrl,
      loginUrl: config.loginUrl,
      apiVersion: config.apiVersion,
      log,
    }).catch((error: unknown) => {
      // A failed sign-in is not cached: the next stream (or run) tries again.
      client = undefined;
      throw error;
    }));
    return config.objects.map((object): StreamDefinition => {
      const table = tableOf(object);
      return {
        table,
        primaryKey: ['id', 'system_modstamp'],
        cursorField: 'system_modstamp',
        partitionField: 'modstamp_date',
        writeMode: 'append',
        lookbackDays: 0,
        cursorKind: 'incremental',
        read: (context) => readObject(getClient, config, { object, table }, context),
      };
    });
  },

  async startSandbox(config, { anchorDate }) {
    // Loaded only here: the sandbox (seeded data, HTTP server) is local-only and never bundled into a Lambda.
    const { startSalesforceSandbox } = await import('./sandbox/server.ts');
    const sandbox = await startSalesforceSandbox({ seed: config.sandbox?.seed ?? 42, oddValues: config.sandbox?.oddValues ?? 0, anchorDate });
    // The sandbox's bearer token travels as a secret, like a real credential, and never reaches disk.
    const secret = `sandbox/${config.id}`;
    return {
      sandbox,
      config: {
        ...config,
        instanceUrl: sandbox.instanceUrl,
        loginUrl: sandbox.instanceUrl,
        auth: { type: 'access_token', secret },
        // The sandbox finishes Bulk jobs within a few polls.
        bulkPollIntervalMs: 20,
      },
      secrets: { [secret]: sandbox.accessToken },
    };
  },
};

function requireAuth(config: SalesforceSourceConfig): SalesforceAuth {
  if (!config.auth) throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.auth`, message: 'add auth (or sandbox: {} to use the bundled sandbox)' }]);
  if (config.auth.type === 'access_token' && !config.instanceUrl) {
    throw new ConfigError('pipeline.yaml', [{ path: `sources.${config.id}.instanceUrl`, message: 'add instanceUrl: an access token works only with the instance that issued it' }]);
  }
  return config.auth;
}
