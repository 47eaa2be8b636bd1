import path from 'node:path';
import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { alertStateKey } from '../../core/alerts/alert-state.ts';
import { kpiSnapshotsTable } from '../../core/kpi/snapshot-table.ts';
import { fxRatesTable } from '../../core/models/fx-rates.ts';
import type { LakeCatalog } from '../../core/table/lake-catalog.ts';
import { acknowledge, acknowledgeWildcardResources } from '../nag.ts';
import type { LakeCatalogConstruct } from './lake-catalog.ts';
import type { Operations } from './operations.ts';
import { PipelineFunction } from './pipeline-function.ts';

export interface KpiRunProps {
  readonly bucket: s3.IBucket;
  readonly lakeCatalog: LakeCatalogConstruct;
  /** Every table and view name: the snapshot function may read them all and (re)creates the views. */
  readonly catalog: LakeCatalog;
  /** The operations topic the failure path publishes to, and the SES sending settings. */
  readonly operations: Operations;
  /** The validated pipeline.yaml, bundled beside both handlers. */
  readonly configFile: string;
  /** EventBridge Scheduler expression of the daily run (`deploy.kpiRunSchedule`). */
  readonly schedule: string;
  readonly timeZone: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly athenaResultsPrefix: string;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The daily KPI run: a Step Functions state machine, snapshot function → notify function, started
 * by EventBridge Scheduler in the business time zone.
 *
 * Each step retries Lambda's own service errors and throttles; any failure goes to a task that
 * publishes the error to the operations topic, then the execution fails (and its alarm fires).
 * Start an execution by hand with `{ "asOf": "YYYY-MM-DD" }` to recompute a day.
 */
export class KpiRun extends Construct {
  readonly snapshotFunction: NodejsFunction;
  readonly notifyFunction: NodejsFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: KpiRunProps) {
    super(scope, id);
    const { bucket, lakeCatalog, operations } = props;
    const common = {
      configFile: props.configFile,
      memoryMb: props.memoryMb,
      timeoutSeconds: props.timeoutSeconds,
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    };
    const queryEnvironment = {
      LAKE_BUCKET: bucket.bucketName,
      ATHENA_WORKGROUP: lakeCatalog.workGroupName,
      GLUE_DATABASE: lakeCatalog.databaseName,
    };

    const snapshot = new PipelineFunction(this, 'Snapshot', {
      ...common,
      handler: 'snapshot',
      description: 'kpi-pipeline snapshot: views, then KPI snapshots with Athena',
      environment: queryEnvironment,
    });
    const notify = new PipelineFunction(this, 'Notify', {
      ...common,
      handler: 'notify',
      description: 'kpi-pipeline notify: goals x the snapshot, then alert emails with SES',
      environment: { ...queryEnvironment, SES_CONFIGURATION_SET: operations.configurationSet.configurationSetName },
    });
    this.snapshotFunction = snapshot.function;
    this.notifyFunction = notify.function;

    const allNames = [...props.catalog.tables.map((t) => t.name), ...(props.catalog.views ?? []).map((v) => v.name)];
    const viewNames = (props.catalog.views ?? []).map((v) => v.name);
    const resultObjects = bucket.arnForObjects(`${props.athenaResultsPrefix}*`);
    const lakeObjects = bucket.arnForObjects('*');

    // Both read the lake through Athena (with their own credentials) and directly (cursors, state).
    for (const fn of [snapshot, notify]) {
      grantAthenaQueries(fn.role, lakeCatalog, bucket, resultObjects);
      grantGlueRead(fn.role, lakeCatalog, allNames);
      fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [lakeObjects] }));
    }

    // Snapshot: (re)creates the views each run, writes kpi_snapshots and fx_rates.
    snapshot.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:CreateTable', 'glue:UpdateTable'],
      resources: [lakeCatalog.catalogArn, lakeCatalog.databaseArn, ...lakeCatalog.tableArns(viewNames)],
    }));
    const snapshotWrites = [bucket.arnForObjects(`${kpiSnapshotsTable.location}/*`), bucket.arnForObjects(`${fxRatesTable.location}/*`)];
    snapshot.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: snapshotWrites }));
    acknowledgeWildcardResources(snapshot.role, [lakeObjects, resultObjects, ...snapshotWrites],
      'Lake objects are addressed by key at run time (dt= partitions, Athena result files named by query id); writes are limited to kpi_snapshots, fx_rates and the Athena results prefix.');

    // Notify: writes the pipeline's own tables after the snapshot (goal_status, alert_events, …:
    // every kpi/ table but kpi_snapshots) and the alert state; sends with SES.
    const notifyWrites = [
      ...props.catalog.tables
        .filter((t) => t.location.startsWith('kpi/') && t.name !== kpiSnapshotsTable.name)
        .map((t) => bucket.arnForObjects(`${t.location}/*`)),
      bucket.arnForObjects(`${path.posix.dirname(alertStateKey)}/*`),
    ];
    notify.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: notifyWrites }));
    notify.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resources: [...operations.sesIdentityArns(), operations.configurationSetArn()],
    }));
    acknowledgeWildcardResources(notify.role, [lakeObjects, resultObjects, ...notifyWrites],
      'Lake objects are addressed by key at run time (dt= partitions, Athena result files named by query id); writes are limited to goal and alert tables, the alert state and the Athena results prefix.');

    // The state machine.
    const retryLambdaErrors = (task: tasks.LambdaInvoke) => task.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
      interval: Duration.seconds(10),
      maxAttempts: 3,
      backoffRate: 2,
    });
    const snapshotStep = new tasks.LambdaInvoke(this, 'ComputeSnapshot', {
      lambdaFunction: this.snapshotFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      comment: 'Creates the views in Athena and writes kpi_snapshots for the last complete day (or $.asOf).',
    });
    retryLambdaErrors(snapshotStep);
    const notifyStep = new tasks.LambdaInvoke(this, 'SendAlerts', {
      lambdaFunction: this.notifyFunction,
      payload: sfn.TaskInput.fromObject({ 'snapshotDate.$': '$.snapshotDate' }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      comment: 'Evaluates the goals on the snapshot and sends one email per recipient.',
    });
    retryLambdaErrors(notifyStep);

    const reportFailure = new tasks.SnsPublish(this, 'ReportFailure', {
      topic: operations.topic,
      subject: 'kpi-pipeline: the daily KPI run failed',
      message: sfn.TaskInput.fromObject({
        'error.$': '$.failure.Error',
        'cause.$': '$.failure.Cause',
        'execution.$': '$$.Execution.Id',
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failed = new sfn.Fail(this, 'Failed', { comment: 'The data team has been told through the operations topic.' });
    reportFailure.next(failed);
    snapshotStep.addCatch(reportFailure, { resultPath: '$.failure' });
    notifyStep.addCatch(reportFailure, { resultPath: '$.failure' });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'kpi-pipeline daily KPI run: snapshot, then notify',
      definitionBody: sfn.DefinitionBody.fromChainable(snapshotStep.next(notifyStep)),
      timeout: Duration.seconds(props.timeoutSeconds * 2 + 600),
      tracingEnabled: true,
      // Execution data holds recipients' addresses: the log keeps the events, not the payloads.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // SNS publishes to a KMS-encrypted topic need the key, too.
    operations.topicKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    const stateMachinePolicy = this.stateMachine.role;
    acknowledgeWildcardResources(stateMachinePolicy,
      [`${this.snapshotFunction.functionArn}:*`, `${this.notifyFunction.functionArn}:*`],
      'Step Functions\' LambdaInvoke grants the function and its versions/aliases (`<arn>:*`); only these two functions.');
    acknowledge(stateMachinePolicy, 'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, …) and X-Ray (PutTraceSegments, GetSamplingRules) do not support resource-level permissions.');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the KPI run\'s schedule.');

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      // Only schedules of this account may assume it (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'Starts the daily KPI run',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'kpi-pipeline: the daily KPI run (snapshot, then notify)',
      schedule: ScheduleExpression.expression(props.schedule, TimeZone.of(props.timeZone)),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject({}),
        role: scheduleRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      }),
    });
  }
}

/** Athena's query API on this workgroup only, plus the S3 Athena needs for results and reads. */
function grantAthenaQueries(role: iam.IRole, lakeCatalog: LakeCatalogConstruct, bucket: s3.IBucket, resultObjects: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
    resources: [lakeCatalog.workGroupArn],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
    resources: [bucket.bucketArn],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
    resources: [resultObjects],
  }));
}

/**
 * Glue reads Athena makes when planning a query: the catalog, the database (and `default`, which
 * Athena consults when it resolves names), and exactly the named tables and views.
 */
function grantGlueRead(role: iam.IRole, lakeCatalog: LakeCatalogConstruct, tableNames: readonly string[]): void {
  const stack = Stack.of(lakeCatalog);
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
    resources: [
      lakeCatalog.catalogArn,
      lakeCatalog.databaseArn,
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: 'default' }),
      ...lakeCatalog.tableArns(tableNames),
    ],
  }));
}
