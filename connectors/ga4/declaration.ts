import type { ConnectorDeclaration } from '../../core/connector.ts';
import { Ga4SourceConfig } from './config.ts';
import { ga4ReportStreams } from './streams.ts';

/** GA4's type, config schema and tables, without its client (see ConnectorDeclaration). */
export const ga4Declaration: ConnectorDeclaration<Ga4SourceConfig> = {
  type: 'ga4',
  configSchema: Ga4SourceConfig,
  tables: ga4ReportStreams.map((s) => s.table),
};
