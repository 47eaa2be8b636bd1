import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './bundling.ts';

/**
 * The `context` of cdk.json (the CDK feature flags). The CDK CLI passes it to the app itself; a
 * synth without the CLI (`node infra/app.ts`, the tests) reads it here so every way of
 * synthesizing builds the same template.
 */
export function cdkJsonContext(file: string = path.join(repoRoot, 'cdk.json')): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return { ...parsed.context };
}

/** `-c key=value` / `--context key=value` pairs from a command line (values stay strings). */
export function contextFromArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const inline = /^(?:-c|--context)=(.*)$/.exec(arg);
    const pair = inline ? inline[1] : arg === '-c' || arg === '--context' ? args[++i] : undefined;
    if (pair === undefined) continue;
    const at = pair.indexOf('=');
    if (at > 0) context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return context;
}
