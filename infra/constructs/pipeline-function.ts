import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerEntries, lambdaBundling, lambdaRuntime, repoRoot, type HandlerName } from '../bundling.ts';
import { acknowledge } from '../nag.ts';

export interface PipelineFunctionProps {
  /** Which handler in functions/ this function runs (infra/bundling.ts `handlerEntries`). */
  readonly handler: HandlerName;
  readonly description: string;
  /** The validated pipeline.yaml, bundled beside the handler. */
  readonly configFile: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** The handler's own variables (LAKE_BUCKET, SOURCE_ID, …); Powertools and source maps are added. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Asynchronous invocations (the schedule's): retries and where a failed event goes. */
  readonly asyncRetryAttempts?: number;
  readonly asyncMaxEventAge?: Duration;
  readonly onFailure?: lambda.IDestination;
}

/** Powertools service name; the handlers pass the same name to Logger and Metrics. */
export const POWERTOOLS_SERVICE_NAME = 'kpi-pipeline';
/** CloudWatch namespace of the handlers' metrics (functions/runtime.ts). */
export const METRICS_NAMESPACE = 'KpiPipeline';

/**
 * One Lambda of the pipeline: a NodejsFunction (ESM bundle, arm64, Node.js 22, X-Ray active) with
 * its own log group and its own role. The role starts with nothing but writing to that log group
 * (instead of AWSLambdaBasicExecutionRole, which may create log groups anywhere); callers add the
 * exact permissions the handler needs.
 */
export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The handler's entry file, relative to the repository root: what its bundle is built from. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.entry = handlerEntries[props.handler];
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: logs, plus exactly what its handler needs`,
    });
    // The log group's ARN attribute ends in `:*`, which covers its log streams and nothing else.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(repoRoot, this.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      runtime: lambdaRuntime,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      ...(props.asyncRetryAttempts !== undefined ? { retryAttempts: props.asyncRetryAttempts } : {}),
      ...(props.asyncMaxEventAge !== undefined ? { maxEventAge: props.asyncMaxEventAge } : {}),
      ...(props.onFailure !== undefined ? { onFailure: props.onFailure } : {}),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: lambdaBundling(props.configFile, props.handler),
    });
    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]',
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.');
    acknowledge(this.function, 'AwsSolutions-L1',
      'Node.js 22 is pinned on purpose: it is the version the project runs and tests on locally (package.json engines), so Lambda runs what the tests ran. Move both together.');
  }
}
