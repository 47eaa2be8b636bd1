import type { Connector } from '../core/connector.ts';
import { ga4Connector } from './ga4/index.ts';

/** Every connector the pipeline knows, by `type` in pipeline.yaml. */
export const connectors: readonly Connector[] = [ga4Connector as unknown as Connector];
