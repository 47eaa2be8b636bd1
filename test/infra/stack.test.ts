import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { ConfigError } from '../../core/errors.ts';
import { kpiSnapshotsTable } from '../../core/kpi/snapshot-table.ts';
import { fxRatesTable } from '../../core/models/fx-rates.ts';
import { ingestHandlerOf } from '../../infra/bundling.ts';
import { cdkJsonContext, contextFromArgs } from '../../infra/cdk-context.ts';
import { parseSenderAddress, secretNamesOf } from '../../infra/deploy-config.ts';
import { createPipelineApp, pipelineNames, type PipelineApp } from '../../infra/pipeline-app.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * Template assertions for the whole stack, synthesized once from a deployable config (real auth
 * secrets, no sandbox). Bundling is skipped here (`aws:cdk:bundling-stacks: []`): the bundles
 * are built and loaded in bundles.test.ts.
 */
const deployableConfig = `version: 1
project: Acme Shop
timezone: Asia/Seoul
currency: KRW
sources:
  - id: web
    type: ga4
    propertyId: "123456789"
    auth: { type: service_account, secret: kpi/ga4-web }
  - id: google_ads
    type: google_ads
    customerIds: ["123-456-7890"]
    loginCustomerId: "111-222-3333"
    auth: { type: oauth_refresh_token, secret: kpi/google-ads }
    schedule: cron(30 5 * * ? *)
  - id: meta
    type: meta
    accountIds: ["act_1029384756"]
    auth: { type: access_token, secret: kpi/meta }
    function: { memoryMb: 512, timeoutSeconds: 600 }
  - id: linkedin
    type: linkedin
    accountIds: ["512345678"]
    auth: { type: oauth_refresh_token, secret: kpi/linkedin }
  - id: tiktok
    type: tiktok
    advertiserIds: ["7123456789012345678"]
    auth: { type: access_token, secret: kpi/tiktok }
  - id: crm
    type: salesforce
    instanceUrl: https://acme.my.salesforce.com
    auth: { type: jwt_bearer, secret: kpi/salesforce }
    objects: [Lead, Opportunity, Invoice__c]
fx:
  - { currency: USD, from: 2024-01, to: 2027-12, rate: 1380 }
recipients:
  - { email: jieun.kim@example.com, name: 김지은, locale: ko }
goals:
  - { id: sessions-daily, kpi: sessions, grain: day, target: 2000, direction: at_least, owner: 김지은, recipients: [jieun.kim@example.com] }
deploy:
  alarmEmail: data-team@example.com
  bytesScannedCutoffMb: 2000
  freshnessAlarmHours: 36
  kpiFunctions: { memoryMb: 2048, timeoutSeconds: 600 }
email:
  from: "KPI 알림 <kpi-alerts@example.com>"
  dataTeam: data-team@example.com
`;

const sourceIds = ['web', 'google_ads', 'meta', 'linkedin', 'tiktok', 'crm'];
const secretOf: Record<string, string> = {
  web: 'kpi/ga4-web', google_ads: 'kpi/google-ads', meta: 'kpi/meta', linkedin: 'kpi/linkedin', tiktok: 'kpi/tiktok', crm: 'kpi/salesforce',
};

const dirs = tempDirs('kpi-infra-stack-');
let built: PipelineApp;
let template: Template;
let resources: Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; Metadata?: unknown }>;

async function synth(configText: string, options: { demo?: boolean } = {}): Promise<PipelineApp> {
  const dir = await dirs.make();
  const file = path.join(dir, 'pipeline.yaml');
  await writeFile(file, configText);
  return createPipelineApp({
    config: file,
    ...(options.demo ? { demo: true } : {}),
    appProps: { outdir: path.join(dir, 'cdk.out'), context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } },
  });
}

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test setup: ${from} not found`);
  return text.replace(from, to);
}

/** Logical ids of the resources of a type whose properties match. */
function idsOf(type: string, properties?: Record<string, unknown>): string[] {
  return Object.keys(template.findResources(type, properties ? { Properties: properties } : undefined));
}

/** The ingest function's logical id for a source (by its SOURCE_ID variable). */
function ingestFunctionId(sourceId: string): string {
  const [id, ...more] = idsOf('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SOURCE_ID: sourceId }) } });
  expect(more).toEqual([]);
  return id!;
}

function roleIdOfFunction(functionId: string): string {
  return resources[functionId]!.Properties!.Role['Fn::GetAtt'][0];
}

/** Every statement of the inline policies attached to a role. */
function statementsOfRole(roleId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties!.Roles.some((ref: { Ref: string }) => ref.Ref === roleId))
    .flatMap((r) => r.Properties!.PolicyDocument.Statement);
}

const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();

beforeAll(async () => {
  built = await synth(deployableConfig);
  template = Template.fromStack(built.stack);
  resources = template.toJSON().Resources;
}, 120_000);

afterAll(() => dirs.removeAll());

describe('data lake bucket', () => {
  it('is encrypted, SSL-only, private, versioned, logged, retained, with the lifecycle rules', () => {
    // Prepare
    const [lakeId, ...others] = idsOf('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    // Act
    const lake = resources[lakeId!]!;
    // Assess
    expect(others).toEqual([]);
    expect(lake.DeletionPolicy).toBe('Retain');
    expect(lake.Properties!.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(lake.Properties!.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(lake.Properties!.LifecycleConfiguration.Rules).toEqual([
      { Id: 'expire-athena-results', Prefix: 'athena-results/', ExpirationInDays: 30, Status: 'Enabled' },
      { Id: 'expire-noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
      { Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
    ]);
    const logBucketId = lake.Properties!.LoggingConfiguration.DestinationBucketName.Ref;
    expect(logBucketId).not.toBe(lakeId);
    expect(resources[logBucketId]!.Type).toBe('AWS::S3::Bucket');
    expect(resources[logBucketId]!.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: lakeId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('is deleted with its objects when deploy.retainData is false', async () => {
    // Prepare
    const config = edit(deployableConfig, 'deploy:\n', 'deploy:\n  retainData: false\n');
    // Act
    const destroyable = Template.fromStack((await synth(config)).stack);
    // Assess
    const lake = Object.values(destroyable.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } } }));
    expect(lake.map((b) => b.DeletionPolicy)).toEqual(['Delete']);
    destroyable.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  }, 60_000);
});

describe('Glue catalog', () => {
  it('has one table per catalog table, named as in DuckDB', () => {
    // Prepare
    const expected = built.deployConfig.catalog.tables.map((t) => t.name).sort();
    // Act
    const names = Object.values(template.findResources('AWS::Glue::Table')).map((t) => t.Properties.TableInput.Name).sort();
    // Assess
    expect(names).toEqual(expected);
    expect(names).toEqual(expect.arrayContaining(['ga4_traffic_daily', 'ads_meta_campaign_daily', 'fx_rates', 'kpi_snapshots']));
    // A Salesforce custom object in the config gets its table too (the stream's own schema).
    expect(names).toContain('salesforce_invoice__c');
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'kpi_pipeline_acme_shop' } });
  });

  it('declares kpi_snapshots from its TableSchema: Parquet, Glue types, comments, projection on dt', () => {
    // Prepare
    const glueType = { string: 'string', int64: 'bigint', double: 'double', boolean: 'boolean', date: 'date', timestamp: 'timestamp' } as const;
    // Act
    const table = Object.values(template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: 'kpi_snapshots' } } }))[0]!;
    // Assess
    const input = table.Properties.TableInput;
    expect(input.StorageDescriptor.Columns).toEqual(kpiSnapshotsTable.columns.map((c) => ({ Name: c.name, Type: glueType[c.type], Comment: c.description })));
    expect(input.StorageDescriptor.Columns[0]).toEqual({ Name: 'snapshot_date', Type: 'date', Comment: 'Last complete day the snapshot covers (business time zone)' });
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(input.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(input.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string', Comment: 'Partition: the report date, YYYY-MM-DD' }]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2015-01-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    const lakeId = idsOf('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } })[0];
    expect(input.Parameters['storage.location.template']).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: lakeId }, '/kpi/kpi_snapshots/dt=${dt}/']] });
    expect(input.StorageDescriptor.Location).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: lakeId }, '/kpi/kpi_snapshots/']] });
  });

  it('declares the unpartitioned fx_rates table without projection', () => {
    // Act
    const table = Object.values(template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: fxRatesTable.name } } }))[0]!;
    // Assess
    const input = table.Properties.TableInput;
    expect(input.PartitionKeys).toEqual([]);
    expect(Object.keys(input.Parameters).filter((k) => k.startsWith('projection.') || k.startsWith('storage.'))).toEqual([]);
    expect(input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(['currency', 'month', 'rate', 'reporting_currency']);
  });

  it('has an Athena workgroup on engine v3 with enforced, encrypted results and the scan cutoff', () => {
    // Prepare
    const lakeId = idsOf('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } })[0];
    // Assess
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'kpi-pipeline-acme-shop',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 2000 * 1024 * 1024,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: lakeId }, '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
  });
});

describe('ingest functions', () => {
  it('has one per source: Node.js 22 on arm64, reserved concurrency 1, traced, its env and settings', () => {
    // Act
    const ids = sourceIds.map(ingestFunctionId);
    // Assess
    expect(idsOf('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SOURCE_ID: Match.anyValue() }) } })).toHaveLength(6);
    for (const [i, id] of ids.entries()) {
      const props = resources[id]!.Properties!;
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        ReservedConcurrentExecutions: 1,
        TracingConfig: { Mode: 'Active' },
      });
      expect(props.Environment.Variables).toEqual({
        LAKE_BUCKET: { Ref: idsOf('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } })[0] },
        SOURCE_ID: sourceIds[i],
        POWERTOOLS_SERVICE_NAME: 'kpi-pipeline',
        POWERTOOLS_METRICS_NAMESPACE: 'KpiPipeline',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(props.LoggingConfig.LogGroup.Ref).toMatch(/Logs/);
    }
    expect(resources[ingestFunctionId('web')]!.Properties).toMatchObject({ MemorySize: 1024, Timeout: 900 });
    expect(resources[ingestFunctionId('meta')]!.Properties).toMatchObject({ MemorySize: 512, Timeout: 600 });
  });

  it('builds each from its source type\'s own ingest entry, so it bundles that connector only', () => {
    // Act
    const entries = Object.fromEntries(sourceIds.map((id) => [id, built.stack.ingest.get(id)!.entry]));
    const descriptions = Object.fromEntries(sourceIds.map((id) => [id, resources[ingestFunctionId(id)]!.Properties!.Description]));
    // Assess
    expect(entries).toEqual({
      web: 'functions/ingest-ga4.ts',
      google_ads: 'functions/ingest-google-ads.ts',
      meta: 'functions/ingest-meta.ts',
      linkedin: 'functions/ingest-linkedin.ts',
      tiktok: 'functions/ingest-tiktok.ts',
      crm: 'functions/ingest-salesforce.ts',
    });
    expect(descriptions).toMatchObject({ web: 'kpi-pipeline ingest: source web (ga4)', crm: 'kpi-pipeline ingest: source crm (salesforce)' });
  });

  it('has an ingest entry for every connector type, and stops the synth on a type without one', () => {
    // Act
    const missing = connectors.filter((c) => {
      try {
        ingestHandlerOf(c.type);
        return false;
      } catch {
        return true;
      }
    });
    // Assess
    expect(missing.map((c) => c.type)).toEqual([]);
    expect(() => ingestHandlerOf('hubspot')).toThrow('source type "hubspot" has no ingest handler: add functions/ingest-<type>.ts');
    expect(() => ingestHandlerOf('constructor')).toThrow('has no ingest handler');
  });

  it('runs each on a schedule in the business time zone with a retry policy and its own encrypted DLQ', () => {
    // Prepare
    const webFunction = ingestFunctionId('web');
    // Act
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    const web = schedules.find((s) => s.Properties.Target.Arn['Fn::GetAtt']?.[0] === webFunction)!;
    const googleAds = schedules.find((s) => s.Properties.Target.Arn['Fn::GetAtt']?.[0] === ingestFunctionId('google_ads'))!;
    // Assess
    expect(schedules).toHaveLength(7);
    expect(web.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 5 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Input: '{}', RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 } },
    });
    expect(googleAds.Properties.ScheduleExpression).toBe('cron(30 5 * * ? *)');
    const dlqId = web.Properties.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
    expect(resources[dlqId]!.Type).toBe('AWS::SQS::Queue');
    expect(resources[dlqId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // A failed scheduled run is not retried at once and lands in the same queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: webFunction },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  it('grants each source exactly its own secret, and no other role any secret', () => {
    // Act
    const grants = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => r.Properties!.PolicyDocument.Statement
        .filter((s: { Action: string | string[] }) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))
        .map((s: { Action: string | string[]; Resource: unknown }) => ({ role: r.Properties!.Roles[0].Ref, actions: actionsOf(s), resource: s.Resource })));
    // Assess
    expect(grants).toHaveLength(6);
    for (const sourceId of sourceIds) {
      const role = roleIdOfFunction(ingestFunctionId(sourceId));
      expect(grants.filter((g) => g.role === role)).toEqual([{
        role,
        actions: ['secretsmanager:GetSecretValue'],
        resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:${secretOf[sourceId]}-??????`]] },
      }]);
    }
  });

  it('lets an ingest function write only its own tables, cursors, lock file and fx_rates', () => {
    // Act
    const writes = statementsOfRole(roleIdOfFunction(ingestFunctionId('web')))
      .filter((s) => actionsOf(s).includes('s3:PutObject'));
    // Assess
    expect(writes).toHaveLength(1);
    const suffixes = [writes[0]!.Resource].flat().map((r: any) => r['Fn::Join'][1][1]).sort();
    expect(suffixes).toEqual(['/_locks/web.json', '/_state/web/*', '/raw/ga4_events_daily/*', '/raw/ga4_traffic_daily/*', '/ref/fx_rates/*']);
    expect(actionsOf(writes[0]!)).toEqual(['s3:DeleteObject', 's3:PutObject']);
    const crmWrites = statementsOfRole(roleIdOfFunction(ingestFunctionId('crm'))).filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect([crmWrites[0]!.Resource].flat().map((r: any) => r['Fn::Join'][1][1]).sort()).toEqual([
      '/_locks/crm.json', '/_state/crm/*', '/raw/salesforce_invoice__c/*', '/raw/salesforce_lead/*', '/raw/salesforce_opportunity/*', '/ref/fx_rates/*',
    ]);
  });
});

describe('daily KPI run', () => {
  it('runs snapshot then notify in a traced, logged state machine with retries and a failure path', () => {
    // Prepare
    const [machineId] = idsOf('AWS::StepFunctions::StateMachine');
    const machine = resources[machineId!]!.Properties!;
    // Act
    const definition = JSON.parse((machine.DefinitionString['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : '<ref>')).join(''));
    // Assess
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(definition.StartAt).toBe('ComputeSnapshot');
    expect(definition.States.ComputeSnapshot.Next).toBe('SendAlerts');
    expect(definition.States.SendAlerts.End).toBe(true);
    expect(definition.States.SendAlerts.Parameters).toEqual({ 'snapshotDate.$': '$.snapshotDate' });
    expect(definition.TimeoutSeconds).toBe(600 * 2 + 600);
    for (const step of ['ComputeSnapshot', 'SendAlerts']) {
      expect(definition.States[step].Retry[0]).toMatchObject({
        ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
        MaxAttempts: 3,
      });
      expect(definition.States[step].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ReportFailure' }]);
    }
    expect(definition.States.ReportFailure).toMatchObject({ Type: 'Task', Resource: 'arn:<ref>:states:::sns:publish', Next: 'Failed', ResultPath: null });
    expect(definition.States.ReportFailure.Parameters).toEqual({
      TopicArn: '<ref>',
      Subject: 'kpi-pipeline: the daily KPI run failed',
      Message: { 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause', 'execution.$': '$$.Execution.Id' },
    });
    expect(definition.States.Failed.Type).toBe('Fail');
  });

  it('is started daily at deploy.kpiRunSchedule in the business time zone', () => {
    // Prepare
    const [machineId] = idsOf('AWS::StepFunctions::StateMachine');
    // Act
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule')).find((s) => s.Properties.Target.Arn.Ref === machineId)!;
    // Assess
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 7 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      Target: { Input: '{}', RetryPolicy: { MaximumRetryAttempts: 2 } },
    });
  });

  it('gives snapshot and notify Node.js 22 arm64 functions with the query settings and least-privilege grants', () => {
    // Prepare
    const functions = Object.entries(template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ ATHENA_WORKGROUP: 'kpi-pipeline-acme-shop' }) } },
    }));
    const notify = functions.find(([, f]) => f.Properties.Environment.Variables.SES_CONFIGURATION_SET)!;
    const snapshot = functions.find(([, f]) => !f.Properties.Environment.Variables.SES_CONFIGURATION_SET)!;
    // Act
    const notifyStatements = statementsOfRole(roleIdOfFunction(notify[0]));
    const snapshotStatements = statementsOfRole(roleIdOfFunction(snapshot[0]));
    // Assess
    expect(functions).toHaveLength(2);
    for (const [, f] of functions) {
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 2048, Timeout: 600, TracingConfig: { Mode: 'Active' } });
      expect(f.Properties.Environment.Variables.GLUE_DATABASE).toBe('kpi_pipeline_acme_shop');
    }
    const athena = ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution', 'athena:StopQueryExecution'];
    expect(notifyStatements.filter((s) => actionsOf(s).some((a) => a.startsWith('athena:'))).map(actionsOf)).toEqual([athena]);
    expect(snapshotStatements.filter((s) => actionsOf(s).some((a) => a.startsWith('athena:'))).map(actionsOf)).toEqual([athena]);
    expect(snapshotStatements.some((s) => actionsOf(s).includes('glue:UpdateTable'))).toBe(true);
    expect(notifyStatements.some((s) => actionsOf(s).includes('glue:UpdateTable'))).toBe(false);
    expect(notifyStatements.filter((s) => actionsOf(s).includes('ses:SendRawEmail')).map(actionsOf)).toEqual([['ses:SendEmail', 'ses:SendRawEmail']]);
    expect(snapshotStatements.some((s) => actionsOf(s).some((a) => a.startsWith('ses:')))).toBe(false);
    expect([...notifyStatements, ...snapshotStatements].some((s) => actionsOf(s).some((a) => a.includes('*')))).toBe(false);
    const writtenPrefixes = (statements: typeof notifyStatements) => statements
      .filter((s) => actionsOf(s).includes('s3:PutObject') && !actionsOf(s).includes('s3:GetObject'))
      .flatMap((s) => [s.Resource].flat().map((r: any) => r['Fn::Join'][1][1]))
      .sort();
    expect(writtenPrefixes(snapshotStatements)).toEqual(['/kpi/kpi_snapshots/*', '/ref/fx_rates/*']);
    expect(writtenPrefixes(notifyStatements)).toEqual(expect.arrayContaining(['/_state/alerts/*', '/kpi/goal_status/*']));
    expect(writtenPrefixes(notifyStatements)).not.toContain('/kpi/kpi_snapshots/*');
    expect(writtenPrefixes(notifyStatements).every((prefix) => prefix.startsWith('/kpi/') || prefix === '/_state/alerts/*')).toBe(true);
  });
});

describe('operations', () => {
  it('has an encrypted, SSL-only topic with the alarm email, and SES sending for email.from', () => {
    // Prepare
    const [topicId] = idsOf('AWS::SNS::Topic');
    // Assess
    expect(resources[topicId!]!.Properties!.KmsMasterKeyId['Fn::GetAtt'][1]).toBe('Arn');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data-team@example.com', TopicArn: { Ref: topicId } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'kpi-alerts@example.com' });
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
  });

  it('alarms on every function, every DLQ, the state machine and each source\'s freshness, all to the topic', () => {
    // Prepare
    const [topicId] = idsOf('AWS::SNS::Topic');
    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Assess
    expect(alarms).toHaveLength(6 * 3 + 4);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(alarms.filter((a) => a.Properties.MetricName === 'Errors')).toHaveLength(8);
    expect(alarms.filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(7);
    expect(alarms.filter((a) => a.Properties.MetricName === 'ExecutionsFailed')).toHaveLength(1);
    // freshness: no successful sync of a source for freshnessAlarmHours (an hour without any run breaches)
    for (const source of ['web', 'meta']) {
      const freshness = alarms.find((a) => String(a.Properties.AlarmDescription).startsWith(`Source ${source} had no successful sync`))!;
      expect(freshness.Properties).toMatchObject({
        Namespace: 'KpiPipeline', MetricName: 'SuccessfulSyncs', Period: 3600, Statistic: 'Sum',
        Dimensions: [{ Name: 'service', Value: 'kpi-pipeline' }, { Name: 'source', Value: source }],
        ComparisonOperator: 'LessThanThreshold', Threshold: 1, EvaluationPeriods: 36, DatapointsToAlarm: 36, TreatMissingData: 'breaching',
      });
    }
  });
});

describe('outputs', () => {
  it('tells where the lake is and how to query it', () => {
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining([
      'LakeBucketName', 'GlueDatabaseName', 'AthenaWorkGroupName', 'KpiRunStateMachineArn', 'SampleAthenaQuery', 'OperationsTopicArn',
    ]));
    expect(outputs.GlueDatabaseName!.Value).toBe('kpi_pipeline_acme_shop');
    expect(outputs.AthenaWorkGroupName!.Value).toBe('kpi-pipeline-acme-shop');
    expect(outputs.SampleAthenaQuery!.Value).toBe(
      'SELECT snapshot_date, kpi_id, grain, period_start, value FROM "kpi_pipeline_acme_shop"."kpi_snapshots" ' +
      "WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d') AND segment_value IS NULL ORDER BY snapshot_date DESC, kpi_id, grain, period_start",
    );
  });
});

describe('what cannot be deployed', () => {
  it('refuses a source that reads its sandbox, naming the source and what to write', async () => {
    // Prepare
    const config = edit(deployableConfig, '    auth: { type: access_token, secret: kpi/meta }\n', '    sandbox: { seed: 42 }\n');
    // Act
    const error = await synth(config).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{
      path: 'sources[2].sandbox',
      message: 'source "meta" reads the bundled sandbox, which does not exist in AWS: remove sandbox: and add auth: { type: …, secret: <secret name> } ' +
        '(see docs/deploy-to-aws.md), or synth the example with -c demo=true',
    }]);
  });

  it('makes infra/app.ts print the config problem without a stack trace and exit 2', async () => {
    // Prepare
    const dir = await dirs.make();
    const file = path.join(dir, 'pipeline.yaml');
    await writeFile(file, edit(deployableConfig, '    auth: { type: access_token, secret: kpi/meta }\n', '    sandbox: {}\n'));
    const repoRoot = path.join(import.meta.dirname, '../..');
    // Act
    const failure = await promisify(execFile)(path.join(repoRoot, 'node_modules/.bin/node'), [path.join(repoRoot, 'infra/app.ts'), '-c', `config=${file}`], {
      cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 60_000,
    }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    // Assess
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toBe(`${file}: 1 problem\n  - sources[2].sandbox: source "meta" reads the bundled sandbox, which does not exist in AWS: ` +
      'remove sandbox: and add auth: { type: …, secret: <secret name> } (see docs/deploy-to-aws.md), or synth the example with -c demo=true\n');
  }, 60_000);

  it('synthesizes the example config with demo=true, with a rule that stops its deployment', async () => {
    // Prepare
    const example = await import('node:fs/promises').then((fs) => fs.readFile(path.join(import.meta.dirname, '../../examples/pipeline.yaml'), 'utf8'));
    // Act
    const built = await synth(example, { demo: true });
    const demo = Template.fromStack(built.stack);
    // Assess
    expect(demo.toJSON().Rules.DemoIsNotDeployable.Assertions[0]).toEqual({
      Assert: { 'Fn::Equals': ['demo', 'deployable'] },
      AssertDescription: expect.stringContaining('-c demo=true'),
    });
    expect(built.deployConfig.sources.every((source) => source.sandbox)).toBe(true);
    demo.resourceCountIs('AWS::Lambda::Function', built.deployConfig.sources.length + 2);
  }, 60_000);
});

describe('app helpers', () => {
  it('parses the sender address out of email.from', () => {
    // Act + Assess
    expect(parseSenderAddress('KPI 알림 <kpi-alerts@example.com>')).toBe('kpi-alerts@example.com');
    expect(parseSenderAddress('kpi@example.com')).toBe('kpi@example.com');
    expect(parseSenderAddress('KPI alerts')).toBeUndefined();
  });

  it('finds every secret name a source config refers to', () => {
    // Act + Assess
    expect(secretNamesOf({ id: 'web', auth: { type: 'service_account', secret: 'kpi/ga4-web' }, extra: [{ secret: 'kpi/other' }] }))
      .toEqual(['kpi/ga4-web', 'kpi/other']);
    expect(secretNamesOf({ id: 'web', sandbox: { seed: 42 } })).toEqual([]);
  });

  it('names the stack, database and workgroup after the project', () => {
    // Act + Assess
    expect(pipelineNames('Acme Shop')).toEqual({ stackName: 'kpi-pipeline-acme-shop', databaseName: 'kpi_pipeline_acme_shop', workGroupName: 'kpi-pipeline-acme-shop' });
    expect(pipelineNames('kpi-pipeline')).toEqual({ stackName: 'kpi-pipeline', databaseName: 'kpi_pipeline', workGroupName: 'kpi-pipeline' });
    expect(pipelineNames('Acme', 'Marketing-KPI')).toEqual({ stackName: 'Marketing-KPI', databaseName: 'marketing_kpi', workGroupName: 'marketing-kpi' });
  });

  it('reads -c key=value pairs when the app runs without the CDK CLI', () => {
    // Act + Assess
    expect(contextFromArgs(['-c', 'config=pipeline.yaml', '--context', 'demo=true', '-c=stackName=x', 'other'])).toEqual({
      config: 'pipeline.yaml', demo: 'true', stackName: 'x',
    });
  });
});
