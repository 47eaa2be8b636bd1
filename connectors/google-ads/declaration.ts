import type { ConnectorDeclaration } from '../../core/connector.ts';
import { GoogleAdsSourceConfig } from './config.ts';
import { googleAdsReportStreams } from './streams.ts';

/** Google Ads' type, config schema and tables, without its client (see ConnectorDeclaration). */
export const googleAdsDeclaration: ConnectorDeclaration<GoogleAdsSourceConfig> = {
  type: 'google_ads',
  configSchema: GoogleAdsSourceConfig,
  tables: googleAdsReportStreams.map((s) => s.table),
};
