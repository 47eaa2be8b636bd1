import { salesforceConnector } from '../connectors/salesforce/index.ts';
import { ingestHandler } from './ingest.ts';

/** The ingest function of a Salesforce source: bundles the Salesforce connector (jsforce) and no other. */
export const handler = ingestHandler(salesforceConnector);
