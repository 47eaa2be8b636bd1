import { metaConnector } from '../connectors/meta/index.ts';
import { ingestHandler } from './ingest.ts';

/** The ingest function of a Meta source: bundles the Meta connector and no other. */
export const handler = ingestHandler(metaConnector);
