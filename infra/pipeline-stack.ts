import { CfnOutput, CfnRule, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { kpiSnapshotsTable } from '../core/kpi/snapshot-table.ts';
import { DataLake } from './constructs/data-lake.ts';
import { IngestFunction } from './constructs/ingest-function.ts';
import { KpiRun } from './constructs/kpi-run.ts';
import { LakeCatalogConstruct } from './constructs/lake-catalog.ts';
import { Operations } from './constructs/operations.ts';
import type { DeployConfig } from './deploy-config.ts';

export interface PipelineStackProps extends StackProps {
  readonly deployConfig: DeployConfig;
  /** Glue database name (lowercase letters, digits, `_`). */
  readonly databaseName: string;
  /** Athena workgroup name. */
  readonly workGroupName: string;
}

/**
 * The whole pipeline in one environment-agnostic stack, generated from pipeline.yaml: the lake,
 * its Glue catalog and Athena workgroup, one ingest function per source, the daily KPI run, and
 * the operations topic, SES sending and alarms. It synthesizes offline with no AWS credentials.
 */
export class PipelineStack extends Stack {
  readonly lake: DataLake;
  readonly lakeCatalog: LakeCatalogConstruct;
  readonly operations: Operations;
  readonly ingest: ReadonlyMap<string, IngestFunction>;
  readonly kpiRun: KpiRun;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { deployConfig } = props;
    const { config } = deployConfig.loaded;
    const { deploy } = config;
    const logRemovalPolicy = deploy.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.lake = new DataLake(this, 'Lake', { retainData: deploy.retainData });
    const { bucket } = this.lake;

    this.lakeCatalog = new LakeCatalogConstruct(this, 'Catalog', {
      bucket,
      catalog: deployConfig.catalog,
      databaseName: props.databaseName,
      workGroupName: props.workGroupName,
      athenaResultsPrefix: this.lake.athenaResultsPrefix,
      bytesScannedCutoffMb: deploy.bytesScannedCutoffMb,
      projectionStartDate: projectionStart(deployConfig),
    });

    const recipientAddresses = [...config.recipients.map((r) => r.email), ...(config.email.dataTeam ? [config.email.dataTeam] : [])];
    this.operations = new Operations(this, 'Operations', {
      senderAddress: deployConfig.senderAddress,
      recipientAddresses,
      ...(deploy.alarmEmail ? { alarmEmail: deploy.alarmEmail } : {}),
    });

    const ingest = new Map<string, IngestFunction>();
    for (const source of deployConfig.sources) {
      const fn = new IngestFunction(this, `Source-${source.id}`, {
        source,
        bucket,
        configFile: deployConfig.file,
        timeZone: config.timezone,
        logRemovalPolicy,
      });
      ingest.set(source.id, fn);
      this.operations.alarmOnErrors(`IngestErrors-${source.id}`, fn.function, `The ingest function of source ${source.id}`);
      this.operations.alarmOnDeadLetters(`IngestDeadLetters-${source.id}`, fn.deadLetterQueue, `Source ${source.id}`);
      this.operations.alarmOnStaleSource(`Freshness-${source.id}`, source.id, deploy.freshnessAlarmHours);
    }
    this.ingest = ingest;

    this.kpiRun = new KpiRun(this, 'KpiRun', {
      bucket,
      lakeCatalog: this.lakeCatalog,
      catalog: deployConfig.catalog,
      operations: this.operations,
      configFile: deployConfig.file,
      schedule: deploy.kpiRunSchedule,
      timeZone: config.timezone,
      memoryMb: deploy.kpiFunctions.memoryMb,
      timeoutSeconds: deploy.kpiFunctions.timeoutSeconds,
      athenaResultsPrefix: this.lake.athenaResultsPrefix,
      logRemovalPolicy,
    });
    this.operations.alarmOnErrors('SnapshotErrors', this.kpiRun.snapshotFunction, 'The snapshot function');
    this.operations.alarmOnErrors('NotifyErrors', this.kpiRun.notifyFunction, 'The notify function');
    this.operations.alarmOnDeadLetters('KpiRunDeadLetters', this.kpiRun.deadLetterQueue, 'The daily KPI run schedule');
    this.operations.alarmOnFailedExecutions('KpiRunFailed', this.kpiRun.stateMachine);

    if (deployConfig.demo) blockDeployment(this);

    new CfnOutput(this, 'LakeBucketName', { value: bucket.bucketName, description: 'S3 bucket of the lake (raw/, ref/, kpi/, _state/, athena-results/)' });
    new CfnOutput(this, 'GlueDatabaseName', { value: props.databaseName, description: 'Glue database: choose it in Athena or your BI tool' });
    new CfnOutput(this, 'AthenaWorkGroupName', { value: props.workGroupName, description: 'Athena workgroup (engine v3; results and encryption enforced)' });
    new CfnOutput(this, 'KpiRunStateMachineArn', { value: this.kpiRun.stateMachine.stateMachineArn, description: 'Daily KPI run; start it with {"asOf": "YYYY-MM-DD"} to recompute a day' });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.operations.topic.topicArn, description: 'Alarms and failed runs are published here' });
    for (const [sourceId, fn] of ingest) {
      new CfnOutput(this, `IngestFunction-${sourceId}`, {
        value: fn.function.functionName,
        description: `Ingest function of source ${sourceId}: invoke with {"from": "YYYY-MM-DD"} to backfill`,
      });
    }
    new CfnOutput(this, 'SampleAthenaQuery', {
      value: sampleQuery(props.databaseName),
      description: `Run it in the Athena console with workgroup ${props.workGroupName}`,
    });
  }
}

/** The last week's overall KPI values, newest snapshot first. */
export function sampleQuery(databaseName: string): string {
  return `SELECT snapshot_date, kpi_id, grain, period_start, value FROM "${databaseName}"."${kpiSnapshotsTable.name}" ` +
    `WHERE dt >= date_format(current_date - interval '7' day, '%Y-%m-%d') AND segment_value IS NULL ` +
    'ORDER BY snapshot_date DESC, kpi_id, grain, period_start';
}

/** Partition projection starts at 2015-01-01, or earlier when a source's startDate is earlier. */
function projectionStart(deployConfig: DeployConfig): string {
  const starts = deployConfig.loaded.config.sources
    .map((s) => (s as { startDate?: unknown }).startDate)
    .filter((d): d is string => typeof d === 'string');
  return [...starts, '2015-01-01'].sort()[0]!;
}

/**
 * A demo synth (`-c demo=true`, the example config) has sources that read local sandboxes. Its
 * template can be read but never deployed: CloudFormation evaluates this rule before it creates
 * anything and stops with the message.
 */
function blockDeployment(stack: Stack): void {
  new CfnRule(stack, 'DemoIsNotDeployable', {
    assertions: [{
      assert: Fn.conditionEquals('demo', 'deployable'),
      assertDescription: 'This template was synthesized with -c demo=true from examples/pipeline.yaml, whose sources read local sandboxes. ' +
        'Write your own pipeline.yaml with real sources and deploy with: npx cdk deploy -c config=pipeline.yaml',
    }],
  });
}
