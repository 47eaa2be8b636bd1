import { tiktokConnector } from '../connectors/tiktok/index.ts';
import { ingestHandler } from './ingest.ts';

/** The ingest function of a TikTok source: bundles the TikTok connector and no other. */
export const handler = ingestHandler(tiktokConnector);
