import { existsSync } from 'node:fs';
import path from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';
import { ConfigError } from '../core/errors.ts';
import { loadDeployConfig, type DeployConfig } from './deploy-config.ts';
import { PipelineStack } from './pipeline-stack.ts';

export interface PipelineAppOptions {
  /** `-c config=<path>`; default `pipeline.yaml`, or `examples/pipeline.yaml` with `demo` when there is none. */
  readonly config?: string;
  /** `-c demo=true`: allow sandbox sources (the example config); the template is then not deployable. */
  readonly demo?: boolean;
  /** `-c stackName=<name>`; default from the config's `project`. */
  readonly stackName?: string;
  /** Resolve relative paths from here (the CDK CLI runs the app in the folder of cdk.json). */
  readonly cwd?: string;
  /** The app to add the stack to (app.ts passes the one whose context it read). */
  readonly app?: App;
  /** Passed to `new App()` when no app is given (tests set outdir and context). */
  readonly appProps?: AppProps;
}

export interface PipelineApp {
  readonly app: App;
  readonly stack: PipelineStack;
  readonly deployConfig: DeployConfig;
}

/** Which pipeline.yaml to synthesize. */
export function resolveConfigFile(options: Pick<PipelineAppOptions, 'config' | 'demo' | 'cwd'>): string {
  const cwd = options.cwd ?? process.cwd();
  if (options.config) return path.resolve(cwd, options.config);
  const own = path.resolve(cwd, 'pipeline.yaml');
  if (existsSync(own)) return own;
  if (options.demo) return path.resolve(cwd, 'examples/pipeline.yaml');
  throw new ConfigError(own, [{
    path: '',
    message: 'file not found: pass -c config=<path to your pipeline.yaml>, or -c demo=true to synthesize the example (not deployable)',
  }]);
}

/** `Acme Shop` → `acme-shop`. */
export function slug(text: string): string {
  return text.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'kpi-pipeline';
}

/** Stack, Glue database and Athena workgroup names for a project. */
export function pipelineNames(project: string, stackName?: string): { stackName: string; databaseName: string; workGroupName: string } {
  const base = slug(project);
  const name = stackName ?? (base === 'kpi-pipeline' ? 'kpi-pipeline' : `kpi-pipeline-${base}`);
  return {
    stackName: name,
    databaseName: slug(name).replace(/-/g, '_').slice(0, 250),
    workGroupName: slug(name).slice(0, 128),
  };
}

/** Loads and validates the config, then builds the app and its one stack. Throws ConfigError on a bad config. */
export async function createPipelineApp(options: PipelineAppOptions = {}): Promise<PipelineApp> {
  const file = resolveConfigFile(options);
  const deployConfig = await loadDeployConfig(file, { demo: options.demo ?? false });
  const names = pipelineNames(deployConfig.loaded.config.project, options.stackName);
  const app = options.app ?? new App(options.appProps);
  const stack = new PipelineStack(app, names.stackName, {
    stackName: names.stackName,
    description: `kpi-pipeline for ${deployConfig.loaded.config.project}: lake, catalog, ingest, daily KPI run and alerts (from ${path.basename(file)})`,
    deployConfig,
    databaseName: names.databaseName,
    workGroupName: names.workGroupName,
  });
  return { app, stack, deployConfig };
}
