import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME } from './pipeline-function.ts';

export interface OperationsProps {
  /** Operations alerts are emailed here (an SNS email subscription to confirm once). @default - no subscription */
  readonly alarmEmail?: string;
  /** The address the alert emails are sent from (`email.from` without the display name). */
  readonly senderAddress: string;
  /** Recipients of the alert emails: in the SES sandbox these must be verified identities too. */
  readonly recipientAddresses: readonly string[];
}

/**
 * What the data team is told through, and what the alert emails are sent with:
 * - an SNS topic (encrypted with a customer-managed key CloudWatch may use, SSL only) that every
 *   alarm and the KPI run's failure path publish to, with an email subscription when
 *   `deploy.alarmEmail` is set;
 * - the SES email identity of the sender and a configuration set (TLS required, reputation metrics,
 *   bounces and complaints suppressed);
 * - CloudWatch alarms, added by the stack as it creates what they watch.
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly emailIdentity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly senderAddress: string;
  readonly recipientAddresses: readonly string[];
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly #action: SnsAction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.senderAddress = props.senderAddress;
    this.recipientAddresses = props.recipientAddresses;

    // CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key: the key
    // policy must name cloudwatch.amazonaws.com, so the topic has its own key.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'kpi-pipeline operations topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'kpi-pipeline operations',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.#action = new SnsAction(this.topic);

    this.configurationSet = new ses.ConfigurationSet(this, 'MailConfiguration', {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.emailIdentity = new ses.EmailIdentity(this, 'Sender', {
      identity: ses.Identity.email(props.senderAddress),
      configurationSet: this.configurationSet,
    });
  }

  /**
   * SES identity ARNs a sender of the alert emails needs: the From address and its domain (either
   * may be the verified one), and, for the SES sandbox, every recipient.
   */
  sesIdentityArns(): string[] {
    const stack = Stack.of(this);
    const domain = this.senderAddress.slice(this.senderAddress.lastIndexOf('@') + 1);
    const identities = [...new Set([this.senderAddress, domain, ...this.recipientAddresses])];
    return identities.map((identity) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }));
  }

  configurationSetArn(): string {
    return Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName });
  }

  /** Any error of the function within an hour. */
  alarmOnErrors(id: string, fn: lambda.IFunction, what: string): cloudwatch.Alarm {
    return this.#add(new cloudwatch.Alarm(this, id, {
      alarmDescription: `${what} failed. Its log group has the error; a failed ingest resumes from its cursor on the next run.`,
      metric: fn.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  /** A dead-letter queue holds a message. */
  alarmOnDeadLetters(id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm {
    return this.#add(new cloudwatch.Alarm(this, id, {
      alarmDescription: `${what}: an event could not be delivered or a scheduled run failed. Read the message in the queue, fix the cause, then purge it.`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  /** The daily KPI run failed. */
  alarmOnFailedExecutions(id: string, stateMachine: sfn.IStateMachine): cloudwatch.Alarm {
    return this.#add(new cloudwatch.Alarm(this, id, {
      alarmDescription: 'The daily KPI run (snapshot, then notify) failed: no snapshot or no alert emails today. See the execution in Step Functions.',
      metric: stateMachine.metricFailed({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  /**
   * Data freshness: no successful sync of the source for `hours` hours. The ingest handler
   * publishes `KpiPipeline/SuccessfulSyncs` (Powertools EMF, dimensions service and source) after
   * every run: 1 when every stream finished, 0 when one stopped early. Rows written would miss a
   * CRM's quiet day; an hour without any run counts as breaching (a schedule that stopped, a
   * function that no longer starts).
   */
  alarmOnStaleSource(id: string, sourceId: string, hours: number): cloudwatch.Alarm {
    return this.#add(new cloudwatch.Alarm(this, id, {
      alarmDescription: `Source ${sourceId} had no successful sync for ${hours} hours: its KPIs are stale. Check its ingest function's log and its schedule.`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'SuccessfulSyncs',
        dimensionsMap: { service: POWERTOOLS_SERVICE_NAME, source: sourceId },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: hours,
      datapointsToAlarm: hours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }));
  }

  #add(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.alarms.push(alarm);
    return alarm;
  }
}
