import type { ConnectorDeclaration } from '../../core/connector.ts';
import { LinkedinSourceConfig } from './config.ts';
import { adsLinkedinCampaignDaily } from './streams.ts';

/** LinkedIn's type, config schema and table, without its client (see ConnectorDeclaration). */
export const linkedinDeclaration: ConnectorDeclaration<LinkedinSourceConfig> = {
  type: 'linkedin',
  configSchema: LinkedinSourceConfig,
  tables: [adsLinkedinCampaignDaily],
};
