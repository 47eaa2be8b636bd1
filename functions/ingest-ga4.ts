import { ga4Connector } from '../connectors/ga4/index.ts';
import { ingestHandler } from './ingest.ts';

/** The ingest function of a GA4 source: bundles the GA4 connector (@googleapis/analyticsdata, google-auth-library) and no other. */
export const handler = ingestHandler(ga4Connector);
