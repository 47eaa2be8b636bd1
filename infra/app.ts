/**
 * The CDK app: `npx cdk synth -c config=pipeline.yaml` / `npx cdk deploy -c config=pipeline.yaml`.
 * Context: `config` (default pipeline.yaml), `demo=true` (the example config; synth only),
 * `stackName`. Runs on Node 22 type stripping (cdk.json: `node infra/app.ts`), needs no AWS
 * credentials and makes no lookups: the stack is environment-agnostic.
 *
 * Run without the CLI (`node infra/app.ts -c config=pipeline.yaml`) it synthesizes into cdk.out/
 * with cdk.json's context itself, so the template is the same either way.
 */
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { KpiError } from '../core/errors.ts';
import { cdkJsonContext, contextFromArgs } from './cdk-context.ts';
import { createPipelineApp } from './pipeline-app.ts';

const underCli = process.env.CDK_OUTDIR !== undefined;
const app = underCli
  ? new App()
  : new App({ outdir: path.resolve('cdk.out'), context: { ...cdkJsonContext(), ...contextFromArgs(process.argv.slice(2)) } });
const context = (key: string): unknown => app.node.tryGetContext(key);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

try {
  const config = text(context('config'));
  const stackName = text(context('stackName'));
  const { stack } = await createPipelineApp({
    app,
    ...(config ? { config } : {}),
    ...(stackName ? { stackName } : {}),
    demo: context('demo') === true || context('demo') === 'true',
  });
  const assembly = app.synth();
  if (!underCli) process.stdout.write(`synthesized ${stack.stackName} into ${path.relative(process.cwd(), assembly.directory) || '.'}\n`);
} catch (error) {
  if (error instanceof KpiError && error.userFacing) {
    // A mistake in pipeline.yaml or the arguments: the message says what to write, no stack trace.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
