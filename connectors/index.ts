import type { Connector } from '../core/connector.ts';
import { ga4Connector } from './ga4/index.ts';
import { googleAdsConnector } from './google-ads/index.ts';
import { linkedinConnector } from './linkedin/index.ts';
import { metaConnector } from './meta/index.ts';
import { salesforceConnector } from './salesforce/index.ts';
import { tiktokConnector } from './tiktok/index.ts';

/** Every connector the pipeline knows, by `type` in pipeline.yaml. */
export const connectors: readonly Connector[] = [
  ga4Connector, salesforceConnector, googleAdsConnector, metaConnector, linkedinConnector, tiktokConnector,
] as unknown as readonly Connector[];
