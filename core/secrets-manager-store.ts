import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SecretError } from './errors.ts';
import { parseSecret, type SecretStore } from './secrets.ts';
import { awsClientConfig } from './aws-client-config.ts';

export interface SecretsManagerStoreOptions {
  /** A ready client (tests, custom middleware). region, endpoint and credentials are then ignored. */
  readonly client?: SecretsManagerClient;
  /** Defaults to the SDK's resolution (AWS_REGION in Lambda); with an endpoint, to AWS_REGION or us-east-1. */
  readonly region?: string;
  /** A Secrets Manager-compatible endpoint (a stand-in). Omit for AWS; AWS_ENDPOINT_URL_SECRETS_MANAGER also works. */
  readonly endpoint?: string;
  /** Defaults to the SDK's credential chain (the function's role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Prepended as is to every name: prefix `prod/` reads `kpi/meta` as the secret `prod/kpi/meta`. */
  readonly prefix?: string;
}

/**
 * The secrets port on AWS Secrets Manager: `get(name)` reads the current version of the secret
 * `<prefix><name>` once per instance (a cold Lambda reads each secret once; concurrent reads share
 * one request; a failed read is not cached). The value is parsed by the same rule as the local
 * store. Error messages name the secret and say what to do; they never contain a value.
 */
export class SecretsManagerStore implements SecretStore {
  readonly client: SecretsManagerClient;
  readonly prefix: string;
  readonly region: string | undefined;
  readonly #cache = new Map<string, Promise<unknown>>();

  constructor(options: SecretsManagerStoreOptions = {}) {
    const config = clientConfig(options);
    this.client = options.client ?? new SecretsManagerClient(config);
    this.prefix = options.prefix ?? '';
    this.region = (options.client === undefined ? config.region as string | undefined : options.region) ||
      process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || undefined;
  }

  get(name: string): Promise<unknown> {
    const secretId = this.prefix + name;
    let value = this.#cache.get(secretId);
    if (value === undefined) {
      value = this.#read(secretId);
      this.#cache.set(secretId, value);
      value.catch(() => this.#cache.delete(secretId));
    }
    return value;
  }

  async #read(secretId: string): Promise<unknown> {
    let response;
    try {
      response = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      throw this.#error(secretId, error);
    }
    if (response.SecretString !== undefined) return parseSecret(response.SecretString);
    if (response.SecretBinary !== undefined) return parseSecret(Buffer.from(response.SecretBinary).toString('utf8'));
    throw new SecretError(
      `secret "${secretId}" in Secrets Manager has no value: put one with aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://…`,
      { context: { secret: secretId, region: this.region } },
    );
  }

  #error(secretId: string, error: unknown): SecretError {
    const name = error instanceof Error ? error.name : 'Error';
    const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const awsMessage = error instanceof Error ? error.message : String(error);
    const where = `Secrets Manager${this.region === undefined ? '' : ` (${this.region})`}`;
    const context = { secret: secretId, region: this.region, errorName: name, ...(status === undefined ? {} : { status }) };
    let message: string;
    switch (name) {
      case 'ResourceNotFoundException':
        message = `secret "${secretId}" not found in ${where}: create it with ` +
          `aws secretsmanager create-secret --name ${secretId} --secret-string file://${fileNameFor(secretId)}`;
        break;
      case 'AccessDeniedException':
        message = /\bkms\b/i.test(awsMessage)
          ? `the function's role may not decrypt secret "${secretId}" in ${where}: grant it kms:Decrypt on the secret's KMS key`
          : `the function's role lacks secretsmanager:GetSecretValue on secret "${secretId}" in ${where}: grant it on that secret`;
        break;
      case 'DecryptionFailure':
        message = `${where} cannot decrypt secret "${secretId}" with its KMS key: check that the key is enabled and that the function's role has kms:Decrypt on it`;
        break;
      case 'InvalidRequestException':
        message = `secret "${secretId}" cannot be read from ${where} (${awsMessage}): it may be scheduled for deletion — restore it with aws secretsmanager restore-secret --secret-id ${secretId}`;
        break;
      default:
        // GetSecretValue's error messages carry the secret's id, never its value.
        message = `could not read secret "${secretId}" from ${where}: ${name === 'Error' ? '' : `${name}: `}${awsMessage}`;
    }
    return new SecretError(message, { cause: error, context });
  }
}

function clientConfig(options: SecretsManagerStoreOptions): SecretsManagerClientConfig {
  return awsClientConfig(options);
}

/** `kpi/ga4-web` → `kpi-ga4-web.json`, for the create-secret hint. */
function fileNameFor(secretId: string): string {
  return `${secretId.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'secret'}.json`;
}
