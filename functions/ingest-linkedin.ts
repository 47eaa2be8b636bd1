import { linkedinConnector } from '../connectors/linkedin/index.ts';
import { ingestHandler } from './ingest.ts';

/** The ingest function of a LinkedIn source: bundles the LinkedIn connector and no other. */
export const handler = ingestHandler(linkedinConnector);
