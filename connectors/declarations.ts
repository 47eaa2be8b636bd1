import type { Connector, ConnectorDeclaration } from '../core/connector.ts';
import { UsageError } from '../core/errors.ts';
import { ga4Declaration } from './ga4/declaration.ts';
import { googleAdsDeclaration } from './google-ads/declaration.ts';
import { linkedinDeclaration } from './linkedin/declaration.ts';
import { metaDeclaration } from './meta/declaration.ts';
import { salesforceDeclaration } from './salesforce/declaration.ts';
import { tiktokDeclaration } from './tiktok/declaration.ts';

/**
 * What each connector declares as data — its `type`, config schema, tables and views — from its
 * folder's declaration.ts, without its client: no vendor library (googleapis, google-auth-library,
 * jsforce) and no sandbox. A Lambda loads pipeline.yaml with these, so the snapshot and notify
 * functions bundle no connector client and an ingest function bundles only the one it runs
 * (functions/ingest-<type>.ts). Each connector in connectors/index.ts spreads the same declaration.
 */
export const connectorDeclarations: readonly ConnectorDeclaration[] = [
  ga4Declaration, salesforceDeclaration, googleAdsDeclaration, metaDeclaration, linkedinDeclaration, tiktokDeclaration,
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
