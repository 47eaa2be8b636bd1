import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectorDeclarations, connectorRegistry } from '../../connectors/declarations.ts';
import { connectors } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { silentLogger } from '../../core/log.ts';
import { streamsOf } from '../../core/pipeline/sources.ts';
import { LocalSecretStore } from '../../core/secrets.ts';
import { repoRoot } from '../../infra/bundling.ts';

/**
 * The Lambdas load pipeline.yaml with connectors/declarations.ts (every connector's schema, tables
 * and views, no client) instead of connectors/index.ts, so that a bundle holds no vendor library it
 * does not run. These tests keep the two in step: same types, same schemas, same catalog.
 */
const withCustomObject = `version: 1
project: Declarations
sources:
  - { id: web, type: ga4, propertyId: "123456789", auth: { type: service_account, secret: kpi/ga4 } }
  - { id: crm, type: salesforce, instanceUrl: https://acme.my.salesforce.com, auth: { type: jwt_bearer, secret: kpi/sf }, objects: [Lead, Opportunity, Invoice__c] }
  - { id: tiktok, type: tiktok, advertiserIds: ["7123456789012345678"], auth: { type: access_token, secret: kpi/tiktok } }
recipients:
  - { email: kim@example.com, locale: ko }
goals:
  - { id: sessions-daily, kpi: sessions, grain: day, target: 2000, direction: at_least, owner: Kim, recipients: [kim@example.com] }
email:
  from: "KPI <kpi@example.com>"
`;

describe('connector declarations', () => {
  it('declare every connector: the same type, config schema, tables and views', () => {
    // Act
    const declared = connectorDeclarations.map((d) => ({ type: d.type, configSchema: d.configSchema, tables: d.tables, views: d.views }));
    const full = connectors.map((c) => ({ type: c.type, configSchema: c.configSchema, tables: c.tables, views: c.views }));
    // Assess
    expect(declared).toEqual(full);
    connectorDeclarations.forEach((d, i) => {
      expect(d.configSchema).toBe(connectors[i]!.configSchema);
      expect([typeof d.tablesFor, typeof d.viewsFor]).toEqual([typeof connectors[i]!.tablesFor, typeof connectors[i]!.viewsFor]);
    });
  });

  it.each([
    ['the example config', () => readFile(path.join(repoRoot, 'examples/pipeline.yaml'), 'utf8')],
    ['a config with a Salesforce custom object', async () => withCustomObject],
  ])('load %s into the same sources and catalog as the full connectors', async (_name, text) => {
    // Prepare
    const yaml = await text();
    // Act
    const lambda = parseConfig(yaml, 'pipeline.yaml', connectorRegistry());
    const cli = parseConfig(yaml, 'pipeline.yaml', connectors);
    // Assess
    expect(lambda.config).toEqual(cli.config);
    expect(lambda.catalog).toEqual(cli.catalog);
    expect(lambda.sources.map((s) => s.connector.tables)).toEqual(cli.sources.map((s) => s.connector.tables));
  });

  it('read only the bundled connector\'s sources: another type\'s streams stop with a UsageError', () => {
    // Prepare: a registry as the TikTok ingest function has it
    const tiktok = connectors.find((c) => c.type === 'tiktok')!;
    const { sources } = parseConfig(withCustomObject, 'pipeline.yaml', connectorRegistry([tiktok]));
    const secrets = new LocalSecretStore({ env: {} });
    // Act
    const of = (id: string) => () => streamsOf(sources.find((s) => s.config.id === id)!, secrets, silentLogger);
    // Assess
    expect(sources.find((s) => s.config.id === 'tiktok')!.connector).toBe(tiktok);
    expect(of('tiktok')().map((s) => s.table.name)).toEqual(['ads_tiktok_campaign_daily']);
    expect(of('crm')).toThrow('source "crm" is a salesforce source, but this function bundles only the tiktok connector');
  });
});
