import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretError } from '../../core/errors.ts';
import { SecretsManagerStore } from '../../core/secrets-manager-store.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-standin.ts';

const credentials = { accessKeyId: 'AKIDSTANDIN0000', secretAccessKey: 'standin-secret-key-0000' };
const ga4Key = '{"client_email":"kpi@proj.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n"}';
const metaToken = '12345678901234567890';
const deniedValue = 'denied-value-s3cr3t';

describe('SecretsManagerStore against the Secrets Manager stand-in', () => {
  let standIn: SecretsManagerStandIn;

  beforeAll(async () => {
    standIn = await startSecretsManagerStandIn(
      {
        'kpi/ga4-web': ga4Key,
        'kpi/meta': metaToken,
        'kpi/not-json': '{not json',
        'prod/kpi/tiktok': 'tt-token',
        'kpi/linkedin': deniedValue,
      },
      { denied: ['kpi/linkedin'], binary: { 'kpi/binary': Buffer.from('{"access_token":"bin-token"}') } },
    );
  });

  afterAll(async () => {
    await standIn.stop();
  });

  beforeEach(() => {
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  function store(prefix?: string): SecretsManagerStore {
    return new SecretsManagerStore({ endpoint: standIn.endpoint, region: 'us-east-1', credentials, ...(prefix === undefined ? {} : { prefix }) });
  }

  function requestsDuring(): () => string[] {
    const before = standIn.requests().length;
    return () => standIn.requests().slice(before);
  }

  it('parses a JSON secret', async () => {
    // Prepare
    const secrets = store();
    // Act
    const value = await secrets.get('kpi/ga4-web');
    // Assess
    expect(value).toEqual({
      client_email: 'kpi@proj.iam.gserviceaccount.com',
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n',
    });
  });

  it('keeps a plain token a string, even when it is all digits, and text that only looks like JSON', async () => {
    // Prepare
    const secrets = store();
    // Act
    const token = await secrets.get('kpi/meta');
    const broken = await secrets.get('kpi/not-json');
    // Assess
    expect(token).toBe('12345678901234567890');
    expect(broken).toBe('{not json');
  });

  it('decodes a SecretBinary and applies the same rule', async () => {
    // Prepare
    const secrets = store();
    // Act
    const value = await secrets.get('kpi/binary');
    // Assess
    expect(value).toEqual({ access_token: 'bin-token' });
  });

  it('reads each secret once per instance, concurrent reads included', async () => {
    // Prepare
    const secrets = store();
    const requests = requestsDuring();
    // Act
    const [first, second] = await Promise.all([secrets.get('kpi/ga4-web'), secrets.get('kpi/ga4-web')]);
    const third = await secrets.get('kpi/ga4-web');
    // Assess
    expect(requests()).toEqual(['kpi/ga4-web']);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it('prepends the prefix to the name', async () => {
    // Prepare
    const secrets = store('prod/');
    const requests = requestsDuring();
    // Act
    const value = await secrets.get('kpi/tiktok');
    // Assess
    expect(value).toBe('tt-token');
    expect(requests()).toEqual(['prod/kpi/tiktok']);
  });

  it('names a missing secret and says how to create it, and does not cache the failure', async () => {
    // Prepare
    const secrets = store();
    const requests = requestsDuring();
    // Act
    const error: unknown = await secrets.get('kpi/google-ads').catch((caught: unknown) => caught);
    await secrets.get('kpi/google-ads').catch(() => undefined);
    // Assess
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).message).toBe(
      'secret "kpi/google-ads" not found in Secrets Manager (us-east-1): create it with ' +
      'aws secretsmanager create-secret --name kpi/google-ads --secret-string file://kpi-google-ads.json',
    );
    expect((error as SecretError).context).toEqual({
      secret: 'kpi/google-ads', region: 'us-east-1', errorName: 'ResourceNotFoundException', status: 400,
    });
    expect(((error as SecretError).cause as Error).name).toBe('ResourceNotFoundException');
    expect(requests()).toEqual(['kpi/google-ads', 'kpi/google-ads']);
  });

  it('says the function\'s role lacks secretsmanager:GetSecretValue when access is denied, without the value', async () => {
    // Prepare
    const secrets = store();
    // Act
    const error: unknown = await secrets.get('kpi/linkedin').catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(SecretError);
    const secretError = error as SecretError;
    expect(secretError.message).toBe(
      'the function\'s role lacks secretsmanager:GetSecretValue on secret "kpi/linkedin" in Secrets Manager (us-east-1): grant it on that secret',
    );
    expect(secretError.context).toMatchObject({ secret: 'kpi/linkedin', errorName: 'AccessDeniedException', status: 400 });
    expect(secretError.message).not.toContain(deniedValue);
    expect(JSON.stringify(secretError.context)).not.toContain(deniedValue);
  });

  it('never puts a secret value in an error message', async () => {
    // Prepare
    const values = [ga4Key, metaToken, 'tt-token', deniedValue, 'bin-token', credentials.secretAccessKey];
    const secrets = store();
    // Act
    const errors = await Promise.all(['kpi/linkedin', 'kpi/missing', 'kpi/salesforce'].map(
      (name) => secrets.get(name).then(() => undefined, (caught: unknown) => caught),
    ));
    // Assess
    expect(errors.map((error) => (error as Error).constructor.name)).toEqual(['SecretError', 'SecretError', 'SecretError']);
    for (const error of errors) {
      const text = `${(error as Error).message} ${JSON.stringify((error as SecretError).context)}`;
      for (const value of values) expect(text).not.toContain(value);
    }
  });
});
