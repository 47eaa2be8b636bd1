import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fxRatesTable } from '../../core/models/fx-rates.ts';
import type { DeployedSource } from '../deploy-config.ts';
import { ingestHandlerOf } from '../bundling.ts';
import { acknowledge, acknowledgeWildcardResources } from '../nag.ts';
import { PipelineFunction } from './pipeline-function.ts';

export interface IngestFunctionProps {
  readonly source: DeployedSource;
  readonly bucket: s3.IBucket;
  /** The validated pipeline.yaml, bundled beside the handler. */
  readonly configFile: string;
  /** IANA zone the schedule runs in: the config's business time zone. */
  readonly timeZone: string;
  /** @default 2 */
  readonly scheduleRetryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly scheduleMaxEventAge?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * One source's ingest function (functions/ingest-<type>.ts, with SOURCE_ID): its bundle holds only
 * its own source type's connector. It runs on an EventBridge Scheduler schedule in the business
 * time zone.
 *
 * - Reserved concurrency 1: two runs of a source never overlap (they would race on its cursor).
 * - A long backfill never dies at Lambda's 15-minute limit: the handler stops reading a minute
 *   before its timeout, after its last checkpoint, and the next scheduled run resumes from the
 *   saved cursor.
 * - Failures land in one encrypted dead-letter queue per source: events Scheduler could not
 *   deliver (after its retry policy) and scheduled runs that failed (no immediate retry).
 * - IAM: S3 read on the lake, write only under this source's tables, its own cursors and the
 *   fx_rates reference table; secretsmanager:GetSecretValue on exactly the secrets it names.
 */
export class IngestFunction extends Construct {
  readonly function: NodejsFunction;
  /** The handler's entry file (functions/ingest-<type>.ts), relative to the repository root. */
  readonly entry: string;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: IngestFunctionProps) {
    super(scope, id);
    const { source, bucket } = props;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the source\'s schedule and of its function\'s asynchronous invocations.');

    const fn = new PipelineFunction(this, 'Ingest', {
      handler: ingestHandlerOf(source.type),
      description: `kpi-pipeline ingest: source ${source.id} (${source.type})`,
      configFile: props.configFile,
      memoryMb: source.memoryMb,
      timeoutSeconds: source.timeoutSeconds,
      reservedConcurrentExecutions: 1,
      // A failed run is not retried at once (an expired token fails again); the next scheduled run
      // resumes from the cursor, and the failed event is kept in the dead-letter queue.
      asyncRetryAttempts: 0,
      asyncMaxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
      environment: { LAKE_BUCKET: bucket.bucketName, SOURCE_ID: source.id },
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.function = fn.function;
    this.entry = fn.entry;
    this.role = fn.role;

    // S3: read anywhere in the lake (lists and cursors); write only what this source owns.
    const objects = bucket.arnForObjects('*');
    const writable = [
      ...source.tableLocations.map((location) => bucket.arnForObjects(`${location}/*`)),
      bucket.arnForObjects(`_state/${source.id}/*`),
      bucket.arnForObjects(`${fxRatesTable.location}/*`),
      // The run lock: one sync of this source at a time (core/lake/source-lock.ts).
      bucket.arnForObjects(`_locks/${source.id}.json`),
    ];
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: writable }));
    acknowledgeWildcardResources(this.role, [objects, ...writable],
      'Lake objects are addressed by key at run time (dt=YYYY-MM-DD partitions, cursor files); writes are limited to this source\'s table prefixes, its own _state/ cursors, its _locks/ file and the fx_rates reference table.');

    // Secrets: exactly the ones this source names. Secrets Manager appends `-` and six random
    // characters to a secret's ARN; `-??????` matches that suffix and nothing longer.
    if (source.secrets.length > 0) {
      const stack = Stack.of(this);
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: source.secrets.map((name) => stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
      }));
    }

    // The schedule's own role, so its grant can be acknowledged here (the L2 target otherwise
    // creates one per target at the stack's root).
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      // Only schedules of this account may assume it (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `Invokes the ingest function of source ${source.id}`,
    });
    acknowledgeWildcardResources(scheduleRole, [`${this.function.functionArn}:*`],
      'EventBridge Scheduler\'s Lambda target grants the function and its versions/aliases (`<arn>:*`); only this function.');
    this.schedule = new Schedule(this, 'Schedule', {
      description: `kpi-pipeline: sync source ${source.id}`,
      schedule: ScheduleExpression.expression(source.schedule, TimeZone.of(props.timeZone)),
      target: new LambdaInvoke(this.function, {
        // `{}`: sync from the cursor. A backfill is a manual invocation with `{ "from": … }`.
        input: ScheduleTargetInput.fromObject({}),
        role: scheduleRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.scheduleRetryAttempts ?? 2,
        maxEventAge: props.scheduleMaxEventAge ?? Duration.hours(6),
      }),
    });
  }
}
