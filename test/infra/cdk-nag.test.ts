import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/cdk-context.ts';
import { createPipelineApp } from '../../infra/pipeline-app.ts';
import { tempDirs } from '../support/temp-dir.ts';

// A first synth loads CDK's validation rules (seconds); a busy 2-core machine needs the headroom.
/**
 * cdk-nag AwsSolutionsChecks over the whole app. cdk-nag 3 is a CDK validation plugin: findings
 * are acknowledged with `Validations.of(construct).acknowledge({ id, reason })` (infra/nag.ts),
 * and `validateScope(app)` returns what is NOT acknowledged, with its severity (error or warning).
 */
const { AwsSolutionsChecks } = cdkNag;

const config = `version: 1
project: Acme Shop
sources:
  - { id: web, type: ga4, propertyId: "123456789", auth: { type: oauth_refresh_token, secret: kpi/ga4-web } }
  - { id: google_ads, type: google_ads, customerIds: ["123-456-7890"], auth: { type: oauth_refresh_token, secret: kpi/google-ads } }
  - { id: meta, type: meta, accountIds: ["act_1029384756"], auth: { type: access_token, secret: kpi/meta } }
  - { id: linkedin, type: linkedin, accountIds: ["512345678"], auth: { type: oauth_refresh_token, secret: kpi/linkedin } }
  - { id: tiktok, type: tiktok, advertiserIds: ["7123456789012345678"], auth: { type: access_token, secret: kpi/tiktok } }
recipients:
  - { email: kim@example.com, locale: ko }
goals:
  - { id: sessions-daily, kpi: sessions, grain: day, target: 2000, direction: at_least, owner: Kim, recipients: [kim@example.com] }
deploy:
  alarmEmail: ops@example.com
  retainData: RETAIN
email:
  from: "KPI <kpi@example.com>"
`;

const dirs = tempDirs('kpi-infra-nag-');
afterAll(() => dirs.removeAll());

async function synthesize(retainData: boolean): Promise<App> {
  const dir = await dirs.make();
  const file = path.join(dir, 'pipeline.yaml');
  await writeFile(file, config.replace('RETAIN', String(retainData)));
  const { app } = await createPipelineApp({
    config: file,
    appProps: { outdir: path.join(dir, 'cdk.out'), context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } },
  });
  app.synth();
  return app;
}

/** Every acknowledgement in the tree: where it is, which finding, and why. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string; node: IConstruct }> {
  const found: Array<{ path: string; id: string; reason: string; node: IConstruct }> = [];
  const visit = (node: IConstruct) => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: node.node.path, id: id.replace(/^annotation::/i, ''), reason, node });
      }
    }
    node.node.children.forEach(visit);
  };
  visit(root);
  return found;
}

describe.each([true, false])('AwsSolutionsChecks with retainData: %s', (retainData) => {
  it('reports no unacknowledged error or warning', async () => {
    // Prepare
    const app = await synthesize(retainData);
    // Act
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
    // Assess
    const describe = (severity: string) => report.violations
      .filter((v) => v.severity === severity)
      .map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}: ${v.description}`);
    expect(describe('error')).toEqual([]);
    expect(describe('warning')).toEqual([]);
    expect(report.success).toBe(true);
  }, 120_000);
});

describe('acknowledgements', () => {
  it('are each on a resource construct below the stack, with a reason, and only of the expected kinds', async () => {
    // Prepare
    const app = await synthesize(true);
    // Act
    const all = acknowledgements(app);
    // Assess
    expect(all.length).toBeGreaterThan(20);
    for (const ack of all) {
      expect(ack.node instanceof Stack || ack.node instanceof App, `${ack.id} is acknowledged for a whole stack at ${ack.path}`).toBe(false);
      expect(ack.reason.length, `${ack.id} at ${ack.path} needs a reason`).toBeGreaterThan(40);
    }
    const kinds = [...new Set(all.map((a) => a.id.replace(/\[Resource::<[^\]]+\]$/, '[Resource::<resource>/…]')))].sort();
    expect(kinds).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<resource>/…]',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
    ]);
  }, 120_000);

  it('find the problems of a bare bucket (the checks do run)', async () => {
    // Prepare: the same rules over a bucket with none of the lake's settings
    const app = new App();
    const stack = new Stack(app, 'Bare');
    const { Bucket } = await import('aws-cdk-lib/aws-s3');
    new Bucket(stack, 'Bare');
    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);
    // Assess
    expect(report.violations.map((v) => v.ruleName).sort()).toEqual(['AwsSolutions-S1', 'AwsSolutions-S10']);
  });
});
