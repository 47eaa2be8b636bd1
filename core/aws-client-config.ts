/** What every AWS adapter takes to reach AWS, or a stand-in on another endpoint. */
export interface AwsClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The SDK client settings the options ask for. An endpoint without a region (a stand-in, an
 * S3-compatible server) falls back to AWS_REGION or us-east-1, as the SDK needs one to sign.
 */
export function awsClientConfig(options: AwsClientOptions): {
  region?: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  const region = options.region ?? (options.endpoint ? process.env['AWS_REGION'] || 'us-east-1' : undefined);
  return {
    ...(region ? { region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { accessKeyId: options.credentials.accessKeyId, secretAccessKey: options.credentials.secretAccessKey } } : {}),
  };
}
