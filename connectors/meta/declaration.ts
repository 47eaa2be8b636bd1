import type { ConnectorDeclaration } from '../../core/connector.ts';
import { MetaSourceConfig } from './config.ts';
import { adsMetaCampaignDaily } from './streams.ts';

/** Meta's type, config schema and table, without its client (see ConnectorDeclaration). */
export const metaDeclaration: ConnectorDeclaration<MetaSourceConfig> = {
  type: 'meta',
  configSchema: MetaSourceConfig,
  tables: [adsMetaCampaignDaily],
};
