import type { Connector } from '../core/connector.ts';
import { UsageError } from '../core/errors.ts';
import { Ga4SourceConfig } from './ga4/config.ts';
import { ga4ReportStreams } from './ga4/streams.ts';
import { GoogleAdsSourceConfig } from './google-ads/config.ts';
import { googleAdsReportStreams } from './google-ads/streams.ts';
import { LinkedinSourceConfig } from './linkedin/config.ts';
import { adsLinkedinCampaignDaily } from './linkedin/streams.ts';
import { MetaSourceConfig } from './meta/config.ts';
import { adsMetaCampaignDaily } from './meta/streams.ts';
import { SalesforceSourceConfig } from './salesforce/config.ts';
import { salesforceTables, tableOf } from './salesforce/tables.ts';
import { latestViewOf, salesforceViews } from './salesforce/views.ts';
import { TiktokSourceConfig } from './tiktok/config.ts';
import { tiktokCampaignDaily } from './tiktok/streams.ts';

/**
 * What each connector declares as data — its `type`, config schema, tables and views — taken from
 * its config, streams, tables and views modules, without its client: no vendor library (googleapis,
 * google-auth-library, jsforce) and no sandbox. A Lambda loads pipeline.yaml with these, so the
 * snapshot and notify functions bundle no connector client and an ingest function bundles only the
 * one it runs (functions/ingest-<type>.ts). test/infra/connector-declarations.test.ts checks that
 * every declaration matches its connector in connectors/index.ts.
 */
export type ConnectorDeclaration = Pick<Connector, 'type' | 'configSchema' | 'tables' | 'views' | 'tablesFor' | 'viewsFor'>;

export const connectorDeclarations: readonly ConnectorDeclaration[] = [
  { type: 'ga4', configSchema: Ga4SourceConfig, tables: ga4ReportStreams.map((s) => s.table) },
  {
    type: 'salesforce',
    configSchema: SalesforceSourceConfig,
    tables: salesforceTables,
    views: salesforceViews,
    tablesFor: (config: SalesforceSourceConfig) => config.objects.map(tableOf),
    viewsFor: (config: SalesforceSourceConfig) => config.objects.map((object) => latestViewOf(object)),
  },
  { type: 'google_ads', configSchema: GoogleAdsSourceConfig, tables: googleAdsReportStreams.map((s) => s.table) },
  { type: 'meta', configSchema: MetaSourceConfig, tables: [adsMetaCampaignDaily] },
  { type: 'linkedin', configSchema: LinkedinSourceConfig, tables: [adsLinkedinCampaignDaily] },
  { type: 'tiktok', configSchema: TiktokSourceConfig, tables: [tiktokCampaignDaily] },
] as unknown as readonly ConnectorDeclaration[];

/**
 * The connectors to load pipeline.yaml with when only some are bundled: every declared type, so the
 * whole file validates and the catalog knows every table and view; the given connectors in full;
 * the others without a client: reading one of their sources stops with a UsageError.
 */
export function connectorRegistry(bundled: readonly Connector[] = []): readonly Connector[] {
  const byType = new Map(bundled.map((c) => [c.type, c]));
  return connectorDeclarations.map((declaration) => byType.get(declaration.type) ?? {
    ...declaration,
    streams: (config) => {
      throw new UsageError(`source "${config.id}" is a ${declaration.type} source, but this function bundles ` +
        (bundled.length > 0 ? `only the ${[...byType.keys()].join(', ')} connector (each source type has its own ingest function)` : 'no connector client'));
    },
  });
}
