import type { ConnectorDeclaration } from '../../core/connector.ts';
import { TiktokSourceConfig } from './config.ts';
import { tiktokCampaignDaily } from './streams.ts';

/** TikTok's type, config schema and table, without its client (see ConnectorDeclaration). */
export const tiktokDeclaration: ConnectorDeclaration<TiktokSourceConfig> = {
  type: 'tiktok',
  configSchema: TiktokSourceConfig,
  tables: [tiktokCampaignDaily],
};
