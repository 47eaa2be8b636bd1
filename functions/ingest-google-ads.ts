import { googleAdsConnector } from '../connectors/google-ads/index.ts';
import { ingestHandler } from './ingest.ts';

/** The ingest function of a Google Ads source: bundles the Google Ads connector (google-auth-library) and no other. */
export const handler = ingestHandler(googleAdsConnector);
