import type { ConnectorDeclaration } from '../../core/connector.ts';
import { SalesforceSourceConfig } from './config.ts';
import { salesforceTables, tableOf } from './tables.ts';
import { latestViewOf, salesforceViews } from './views.ts';

/** Salesforce's type, config schema, tables and views (custom objects' too), without its client (see ConnectorDeclaration). */
export const salesforceDeclaration: ConnectorDeclaration<SalesforceSourceConfig> = {
  type: 'salesforce',
  configSchema: SalesforceSourceConfig,
  tables: salesforceTables,
  views: salesforceViews,
  tablesFor: (config) => config.objects.map(tableOf),
  viewsFor: (config) => config.objects.map((object) => latestViewOf(object)),
};
