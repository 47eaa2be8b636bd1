import { open } from 'node:fs/promises';
import { mulberry32 } from '../../connectors/sandbox-kit/seeded-random.ts';

/**
 * Deterministic API-shaped input for the write benchmark: newline-delimited JSON, one page per
 * line, 100,000 rows a page, in the wire shapes the connectors parse:
 *   - GA4 `runReport` responses (every value a string in `{ value }` objects, dates YYYYMMDD);
 *   - Google Ads `searchStream` batches (proto3 JSON: int64 as strings, doubles as numbers).
 * One file per million rows, so a run over 1M rows reads the first file and one over 5M all five,
 * and DuckDB's `read_json` reads exactly the same bytes. Campaign names are partly Korean, as the
 * demo shop's are, so UTF-8 beyond ASCII is on the path.
 */

export type Shape = 'ga4' | 'ads';
export const defaultPageRows = 100_000;
export const rowsPerFile = 1_000_000;

const ga4Dimensions = ['date', 'sessionDefaultChannelGroup', 'sessionSource', 'sessionMedium', 'sessionCampaignName'];
const ga4Metrics: ReadonlyArray<[string, string]> = [
  ['sessions', 'TYPE_INTEGER'], ['engagedSessions', 'TYPE_INTEGER'], ['totalUsers', 'TYPE_INTEGER'], ['newUsers', 'TYPE_INTEGER'],
  ['userEngagementDuration', 'TYPE_SECONDS'], ['keyEvents', 'TYPE_FLOAT'], ['purchaseRevenue', 'TYPE_CURRENCY'], ['transactions', 'TYPE_INTEGER'],
];
const channels: ReadonlyArray<[string, string, string]> = [
  ['Organic Search', 'google', 'organic'], ['Paid Search', 'google', 'cpc'], ['Display', 'google', 'display'],
  ['Paid Social', 'facebook', 'paid_social'], ['Paid Social', 'tiktok', 'paid_social'], ['Organic Social', 'instagram', 'social'],
  ['Email', 'newsletter', 'email'], ['Referral', 'naver.com', 'referral'], ['Direct', '(direct)', '(none)'], ['Unassigned', '', ''],
];
const koreanWords = ['봄_세일', '신상품', '리타게팅', '브랜드_검색', '주말_특가'];
const fieldMask = 'customer.id,customer.descriptiveName,customer.currencyCode,customer.timeZone,campaign.id,campaign.name,campaign.status,segments.date,metrics.impressions,metrics.clicks,metrics.costMicros,metrics.conversions,metrics.conversionsValue';
const statuses = ['ENABLED', 'PAUSED', 'REMOVED'];

/** 730 consecutive days from 2025-01-01, in both date spellings. */
const days = Array.from({ length: 730 }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10));

function campaignName(random: () => number, n: number): string {
  return random() < 0.2 ? `${koreanWords[n % koreanWords.length]}_${n}` : `campaign_${n}`;
}

/**
 * One page's bytes, written row by row into a growing buffer: joining 100,000 row strings into one
 * page string spent half the generation time in the garbage collector.
 */
class PageBuffer {
  #buffer = Buffer.allocUnsafe(64 << 20);
  #length = 0;

  write(text: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    if (this.#length + text.length * 3 > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(this.#buffer.length * 2);
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(text, this.#length);
  }

  take(): Buffer {
    const bytes = this.#buffer.subarray(0, this.#length);
    this.#length = 0;
    return bytes;
  }
}

function ga4Page(out: PageBuffer, fileIndex: number, page: number, pageRows: number, totalRows: number): void {
  const random = mulberry32(0x6a4 + fileIndex * 1000 + page);
  out.write(`{"dimensionHeaders":[${ga4Dimensions.map((name) => `{"name":"${name}"}`).join(',')}],` +
    `"metricHeaders":[${ga4Metrics.map(([name, type]) => `{"name":"${name}","type":"${type}"}`).join(',')}],"rows":[`);
  for (let i = 0; i < pageRows; i++) {
    const [group, source, medium] = channels[Math.floor(random() * channels.length)]!;
    const date = days[Math.floor(random() * days.length)]!.replaceAll('-', '');
    const sessions = 1 + Math.floor(random() * 5000);
    const engaged = Math.floor(sessions * (0.5 + random() * 0.2));
    const users = Math.floor(sessions * (0.75 + random() * 0.1));
    const newUsers = Math.floor(users * (0.3 + random() * 0.1));
    const transactions = Math.floor(sessions * random() * 0.03);
    const keyEvents = transactions + Math.floor(random() * 5);
    const revenue = transactions === 0 ? '0' : String(transactions * 58_000 + Math.floor(random() * 10_000) / 100);
    out.write(`${i === 0 ? '' : ','}{"dimensionValues":[{"value":"${date}"},{"value":"${group}"},{"value":"${source}"},{"value":"${medium}"},{"value":"${campaignName(random, Math.floor(random() * 5000))}"}],` +
      `"metricValues":[{"value":"${sessions}"},{"value":"${engaged}"},{"value":"${users}"},{"value":"${newUsers}"},{"value":"${Math.floor(users * 55.5)}"},{"value":"${keyEvents}"},{"value":"${revenue}"},{"value":"${transactions}"}]}`);
  }
  out.write(`],"rowCount":${totalRows},"metadata":{"currencyCode":"KRW","timeZone":"Asia/Seoul"},"kind":"analyticsData#runReport"}\n`);
}

function adsPage(out: PageBuffer, fileIndex: number, page: number, pageRows: number): void {
  const random = mulberry32(0xad5 + fileIndex * 1000 + page);
  out.write('{"results":[');
  for (let i = 0; i < pageRows; i++) {
    const customer = 1_234_567_890 + Math.floor(random() * 20);
    const campaign = 20_000_000_000 + Math.floor(random() * 5000);
    const impressions = Math.floor(random() * 200_000);
    const clicks = Math.floor(impressions * random() * 0.05);
    const costMicros = clicks * (200_000_000 + Math.floor(random() * 800_000_000));
    const conversions = Math.round(clicks * random() * 0.1 * 100) / 100;
    const value = Math.round(conversions * 58_000 * 100) / 100;
    out.write(`${i === 0 ? '' : ','}{"customer":{"resourceName":"customers/${customer}","id":"${customer}","descriptiveName":"한국 쇼핑몰 ${customer % 20}","currencyCode":"KRW","timeZone":"Asia/Seoul"},` +
      `"campaign":{"resourceName":"customers/${customer}/campaigns/${campaign}","id":"${campaign}","name":"${campaignName(random, campaign % 5000)}","status":"${statuses[campaign % 3]}"},` +
      `"metrics":{"impressions":"${impressions}","clicks":"${clicks}","costMicros":"${costMicros}","conversions":${conversions},"conversionsValue":${value}},` +
      `"segments":{"date":"${days[Math.floor(random() * days.length)]}"}}`);
  }
  out.write(`],"fieldMask":"${fieldMask}","requestId":"bench-${fileIndex}-${page}"}\n`);
}

/** Writes file `fileIndex` (1M rows in pages of `pageRows`) of a shape; returns its size in bytes. */
export async function writePagesFile(shape: Shape, fileIndex: number, file: string, totalRows: number, pageRows = defaultPageRows): Promise<number> {
  const handle = await open(file, 'w');
  // Two buffers: the next page is generated while the disk takes the previous one.
  const buffers = [new PageBuffer(), new PageBuffer()];
  let writing: Promise<unknown> = Promise.resolve();
  let bytes = 0;
  try {
    for (let page = 0; page < rowsPerFile / pageRows; page++) {
      const out = buffers[page % 2]!;
      if (shape === 'ga4') ga4Page(out, fileIndex, page, pageRows, totalRows);
      else adsPage(out, fileIndex, page, pageRows);
      const line = out.take();
      await writing;
      writing = handle.write(line);
      bytes += line.byteLength;
      // The buffer written now is refilled two pages later, after this write has been awaited.
    }
    await writing;
  } finally {
    await handle.close();
  }
  return bytes;
}

/**
 * The lines of newline-delimited JSON files. Each line is one API response body as an HTTP client
 * hands it over (gaxios' `arraybuffer`, fetch's `arrayBuffer()`): its bytes in one buffer of its
 * own, gathered from the 1 MB blocks it arrived in — which is what the client's memory holds too.
 * The next block is always being read while a line is handed out, as a socket keeps receiving
 * while its client works: the bench measures the work, not the waits for the disk.
 */
export async function* readLines(files: readonly string[]): AsyncGenerator<Buffer, void, undefined> {
  const blockSize = 1 << 20;
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      let parts: Buffer[] = [];
      const readBlock = () => {
        const block = Buffer.allocUnsafe(blockSize);
        return handle.read(block, 0, blockSize, null).then(({ bytesRead }) => block.subarray(0, bytesRead));
      };
      for (let next = readBlock(); ;) {
        let rest = await next;
        if (rest.length === 0) break;
        next = readBlock();
        for (let newline = rest.indexOf(10); newline !== -1; newline = rest.indexOf(10)) {
          parts.push(rest.subarray(0, newline));
          const line = Buffer.concat(parts);
          // The blocks gathered are garbage now, as a socket's chunks are once the body is whole;
          // theirs are small and die young, these 1 MB blocks would wait for a full collection.
          for (const part of parts.slice(0, -1)) (part.buffer as ArrayBuffer).transfer(0);
          parts = [];
          rest = rest.subarray(newline + 1);
          yield line;
        }
        if (rest.length > 0) parts.push(rest);
      }
      if (parts.length > 0) yield Buffer.concat(parts);
    } finally {
      await handle.close();
    }
  }
}
