import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface DataLakeProps {
  /**
   * Keep the buckets (and their objects) when the stack is deleted. With false they are emptied
   * and deleted with the stack (a custom resource deletes the objects first).
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Prefix of Athena's query results; they are expired by a lifecycle rule.
   * @default 'athena-results/'
   */
  readonly athenaResultsPrefix?: string;
  /** @default Duration.days(30) */
  readonly athenaResultsExpiration?: Duration;
  /**
   * How long a replaced or deleted object version is kept (every sync replaces partitions).
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /** @default Duration.days(7) */
  readonly abortIncompleteMultipartUploadAfter?: Duration;
  /**
   * How long S3 server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogExpiration?: Duration;
}

/**
 * The lake: one S3 bucket holding `raw/`, `ref/`, `kpi/`, `_state/` and Athena's results, plus a
 * separate bucket for its server access logs.
 *
 * Encryption is SSE-S3 (S3-managed keys), not KMS: the lake holds aggregated marketing reports, not
 * personal data; with SSE-S3 every reader Athena and a BI tool bring along (their own IAM
 * principals, Glue, Athena's result writer) needs only S3 permissions instead of a key policy
 * entry each; and there is no KMS request charge on Athena's many small reads. Switch to
 * `BucketEncryption.KMS` with `bucketKeyEnabled` if your policy demands a customer-managed key.
 */
export class DataLake extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** Where Athena writes query results, e.g. `athena-results/`. */
  readonly athenaResultsPrefix: string;

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.athenaResultsPrefix = props.athenaResultsPrefix ?? 'athena-results/';
    const removal = retain
      ? { removalPolicy: RemovalPolicy.RETAIN }
      : { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true };

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: props.accessLogExpiration ?? Duration.days(365) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      ...removal,
    });
    acknowledge(this.accessLogsBucket, 'AwsSolutions-S1',
      'This is the access-log bucket of the lake bucket; logging it to itself would log its own log deliveries in a loop.');

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'expire-athena-results',
          prefix: this.athenaResultsPrefix,
          expiration: props.athenaResultsExpiration ?? Duration.days(30),
        },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30),
          expiredObjectDeleteMarker: true,
        },
        {
          id: 'abort-incomplete-uploads',
          abortIncompleteMultipartUploadAfter: props.abortIncompleteMultipartUploadAfter ?? Duration.days(7),
        },
      ],
      ...removal,
    });
  }
}
