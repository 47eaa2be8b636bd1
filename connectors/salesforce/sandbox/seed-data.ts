/**
 * Seeded synthetic CRM data for the Salesforce sandbox: the B2B side of the Korean online shop that
 * the GA4 and ad sandboxes tell (KRW, org time zone Asia/Seoul, campaign names = UTM campaigns).
 *
 * The org "now" is `${anchorDate}T00:00:00Z`; history covers the `historyDays` days before it.
 * Everything is a pure function of (seed, anchorDate, historyDays): each day's leads and each
 * lead's journey draw from their own PRNG (sandbox-kit's rngFor), events dated after "now" have not
 * happened yet, and a record's SystemModstamp is the time of the last event that touched it.
 *
 * The story:
 * - 8 users (an integration user, 5 sales reps — one deactivated half-way — and 2 marketers),
 *   7 campaigns named like the ad campaigns, 30 older accounts with 45 contacts;
 * - leads arrive every day (about 11 a weekday, fewer at weekends, a few to ~15), a third of them
 *   from b2b_webinar and search; they move Open → MQL (MQL_Date__c) → SQL (SQL_Date__c) →
 *   Converted, or are disqualified; converting creates an account, a contact and (mostly) an
 *   opportunity carrying the lead's campaign;
 * - opportunities (2–30 M KRW) move Prospecting → Qualification → Needs Analysis → Proposal/Price
 *   Quote → Negotiation/Review → Closed Won, or drop out to Closed Lost; amounts are sometimes
 *   revised at the proposal; every change writes an OpportunityHistory row; about 35 close a month,
 *   about 11 of them won;
 * - a few leads (spam) and older contacts (duplicates) are deleted; deleted records stay visible to
 *   queryAll for 15 days (the recycle bin), then they are gone, as in a real org.
 * `advanceWorld` applies a deterministic batch of later changes for incremental-sync tests.
 */
import { addDays, eachDay, isoWeekday } from '../../../core/dates.ts';
import { between, jitter, randomCount, rngFor } from '../../sandbox-kit/seeded-random.ts';
import { shopCampaigns, trendFactor } from '../../sandbox-kit/shop-story.ts';
import { keyPrefixes, sandboxObjectNames, type SandboxObjectName } from './describe.ts';
import { caseSafeId } from '../mappers.ts';

export type FieldValue = string | number | boolean | null;
/** A record by field API name: datetimes as ISO `…Z`, dates as YYYY-MM-DD, currency in KRW. */
export type SandboxRecord = Record<string, FieldValue>;
export type SandboxStore = Map<SandboxObjectName, Map<string, SandboxRecord>>;

export interface SalesforceSeedOptions {
  readonly seed: number;
  /** The sandbox's "today" (YYYY-MM-DD): the org's "now" is its midnight UTC. */
  readonly anchorDate: string;
  /** Days of history before the anchor; default 400. */
  readonly historyDays?: number;
}

export const defaultHistoryDays = 400;
/** Deleted records stay in the recycle bin (and visible to queryAll) this long. */
export const recycleBinDays = 15;
export const sandboxOrgId = '00DKp0000000042EAA';
export const sandboxTimeZone = 'Asia/Seoul';

const DAY = 86_400_000;
const KST_OFFSET = 9 * 3_600_000;
/**
 * Serials of the records that exist before the history starts: fixed, so users, campaigns and older
 * accounts keep their Ids whatever the anchor date (day-created records use epochDay × 10,000 + n).
 */
const fixedSerials = { users: 1_000, campaigns: 2_000, accounts: 3_000 } as const;

export const opportunityStages = [
  { name: 'Prospecting', probability: 10, forecast: 'Pipeline' },
  { name: 'Qualification', probability: 20, forecast: 'Pipeline' },
  { name: 'Needs Analysis', probability: 40, forecast: 'Pipeline' },
  { name: 'Proposal/Price Quote', probability: 75, forecast: 'BestCase' },
  { name: 'Negotiation/Review', probability: 90, forecast: 'Commit' },
] as const;

/** The org's "now" in epoch milliseconds. */
export function orgNow(anchorDate: string): number {
  return Date.parse(`${anchorDate}T00:00:00.000Z`);
}

export function iso(millis: number): string {
  return new Date(millis).toISOString();
}

/** The org-local (Asia/Seoul) calendar date of an instant: Salesforce date fields are org-local. */
export function orgDate(millis: number): string {
  return new Date(millis + KST_OFFSET).toISOString().slice(0, 10);
}

function epochDay(millis: number): number {
  return Math.floor(millis / DAY);
}

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** An 18-character Id: key prefix, pod, a base-62 serial and Salesforce's case-safe checksum. */
export function salesforceId(object: SandboxObjectName, serial: number): string {
  let digits = '';
  let n = serial;
  for (let i = 0; i < 9; i++) {
    digits = base62[n % 62]! + digits;
    n = Math.floor(n / 62);
  }
  return caseSafeId(`${keyPrefixes[object]}Kp0${digits}`);
}

// ---------------------------------------------------------------------------------------------
// Names

const surnames = ['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임', '한', '오', '서', '신', '권'];
const givenNames = ['민준', '서연', '도윤', '지우', '하준', '서윤', '시우', '지민', '주원', '하은', '예준', '수아', '지호', '지유', '현우'];
const companyHeads = ['한빛', '새솔', '다온', '누리', '미래', '바른', '가온', '하늘', '별빛', '세움', '이룸', '한결', '푸른', '온유', '대한'];
const companyTails = ['테크', '솔루션', '물산', '커머스', '시스템즈', '랩스', '네트웍스', '산업', '푸드', '리테일'];
const industries = ['Retail', 'Technology', 'Manufacturing', 'Food & Beverage', 'Consumer Goods', 'Media', 'Healthcare', 'Education'];
const cities = [['Seoul', '서울특별시', '04524'], ['Busan', '부산광역시', '48058'], ['Incheon', '인천광역시', '21999'], ['Seongnam', '경기도', '13487'], ['Daejeon', '대전광역시', '34126']] as const;
const titles = ['마케팅 팀장', '구매 담당', '대표', '운영 매니저', 'MD', 'CX 리드', '브랜드 매니저'];
const products = ['기업 선물 세트', '사내 복지몰', '대량 구매 계약', '정기 납품', '시즌 프로모션 키트'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

// ---------------------------------------------------------------------------------------------
// Campaigns and lead sources

interface CampaignSpec {
  readonly name: string;
  readonly type: string;
  readonly monthlyBudget: number;
  /** Share of leads that come through this campaign. */
  readonly leadShare: number;
  readonly leadSource: string;
}

const campaignSpecs: readonly CampaignSpec[] = [
  { name: 'brand_search', type: 'Advertisement', monthlyBudget: 3_000_000, leadShare: 0.1, leadSource: 'Paid Search' },
  { name: 'generic_search', type: 'Advertisement', monthlyBudget: 8_000_000, leadShare: 0.14, leadSource: 'Paid Search' },
  { name: 'display_prospecting', type: 'Banner Ads', monthlyBudget: 5_000_000, leadShare: 0.05, leadSource: 'Display' },
  { name: 'spring_sale', type: 'Advertisement', monthlyBudget: 6_000_000, leadShare: 0.04, leadSource: 'Paid Social' },
  { name: 'retargeting', type: 'Banner Ads', monthlyBudget: 4_000_000, leadShare: 0.06, leadSource: 'Paid Social' },
  { name: 'b2b_webinar', type: 'Webinar', monthlyBudget: 2_500_000, leadShare: 0.24, leadSource: 'Webinar' },
  { name: 'tiktok_awareness', type: 'Advertisement', monthlyBudget: 5_000_000, leadShare: 0.04, leadSource: 'Paid Social' },
];

/** The campaign names, exactly as the ad platforms and GA4 (UTM campaign) spell them. */
export const sandboxCampaignNames: readonly string[] = Object.values(shopCampaigns).flat();
if (sandboxCampaignNames.some((name) => !campaignSpecs.some((c) => c.name === name))) {
  throw new Error('Salesforce sandbox: every shop campaign needs a campaign spec');
}

const organicSources = ['Web', 'Organic Search', 'Partner Referral', 'Trade Show', 'Phone Inquiry'];

// ---------------------------------------------------------------------------------------------
// Building the world

interface World {
  readonly store: SandboxStore;
  readonly now: number;
  readonly users: { integration: string; reps: readonly SandboxRecord[]; marketers: readonly SandboxRecord[] };
  readonly campaignIds: ReadonlyMap<string, string>;
}

export interface SalesforceWorld {
  readonly store: SandboxStore;
  /** The org's "now" (ISO). */
  readonly now: string;
  readonly firstDay: string;
  readonly lastDay: string;
}

function emptyStore(): SandboxStore {
  return new Map(sandboxObjectNames.map((name) => [name, new Map<string, SandboxRecord>()]));
}

function put(store: SandboxStore, object: SandboxObjectName, record: SandboxRecord): SandboxRecord {
  store.get(object)!.set(String(record.Id), record);
  return record;
}

function auditFields(createdMillis: number, by: string): SandboxRecord {
  const at = iso(createdMillis);
  return { CreatedDate: at, CreatedById: by, LastModifiedDate: at, LastModifiedById: by, SystemModstamp: at };
}

/** A change to a record: SystemModstamp (and LastModifiedDate where the object has it) move to `millis`. */
function touch(record: SandboxRecord, millis: number, by: string): void {
  const at = iso(millis);
  if ('LastModifiedDate' in record) {
    record.LastModifiedDate = at;
    record.LastModifiedById = by;
  }
  record.SystemModstamp = at;
}

function softDelete(record: SandboxRecord, millis: number, by: string): void {
  record.IsDeleted = true;
  touch(record, millis, by);
}

/** The seeded org as of its "now", deleted records older than the recycle bin already gone. */
export function buildSalesforceWorld(options: SalesforceSeedOptions): SalesforceWorld {
  const historyDays = options.historyDays ?? defaultHistoryDays;
  if (!Number.isInteger(historyDays) || historyDays < 1) throw new RangeError(`historyDays must be a positive integer, got ${historyDays}`);
  const now = orgNow(options.anchorDate);
  if (Number.isNaN(now)) throw new RangeError(`anchorDate must be YYYY-MM-DD, got "${options.anchorDate}"`);
  const firstDay = addDays(options.anchorDate, -historyDays);
  const lastDay = addDays(options.anchorDate, -1);
  const store = emptyStore();
  const firstMillis = Date.parse(`${firstDay}T00:00:00Z`);

  // Users
  const userRandom = rngFor(options.seed, firstDay, 'users');
  const integration = salesforceId('User', fixedSerials.users);
  put(store, 'User', userRecord(integration, 'User', 'Integration', 'IT', 'Integration User', firstMillis - 500 * DAY, integration));
  const reps: SandboxRecord[] = [];
  const marketers: SandboxRecord[] = [];
  for (let i = 0; i < 7; i++) {
    const id = salesforceId('User', fixedSerials.users + i + 1);
    const sales = i < 5;
    const user = userRecord(id, surnames[(i * 4 + 1) % surnames.length]!, givenNames[(i * 3 + 2) % givenNames.length]!,
      sales ? 'Sales' : 'Marketing', sales ? 'Account Executive' : 'Growth Marketer', firstMillis - (400 - i * 7) * DAY, integration);
    put(store, 'User', user);
    (sales ? reps : marketers).push(user);
  }
  // One rep leaves half-way through the history: deactivated, no new leads after that.
  const leaver = reps[4]!;
  const leavesAt = firstMillis + Math.floor(historyDays / 2) * DAY + Math.floor(userRandom() * 8) * 3_600_000;
  if (leavesAt < now) {
    leaver.IsActive = false;
    touch(leaver, leavesAt, integration);
  }

  // Campaigns
  const campaignIds = new Map<string, string>();
  campaignSpecs.forEach((spec, i) => {
    const random = rngFor(options.seed, firstDay, `campaign-${spec.name}`);
    const id = salesforceId('Campaign', fixedSerials.campaigns + i);
    campaignIds.set(spec.name, id);
    const owner = String(marketers[i % marketers.length]!.Id);
    const created = firstMillis - 40 * DAY + i * 3_600_000;
    const start = spec.name === 'spring_sale' ? firstMillis + Math.min(30, Math.floor(historyDays / 3)) * DAY : created + DAY;
    const end = spec.name === 'spring_sale' ? start + 45 * DAY : null;
    const campaign = put(store, 'Campaign', {
      Id: id, IsDeleted: false, Name: spec.name, ParentId: null, Type: spec.type, Status: 'Planned',
      StartDate: orgDate(start), EndDate: end === null ? null : orgDate(end), ExpectedRevenue: spec.monthlyBudget * 36,
      BudgetedCost: spec.monthlyBudget * 12, ActualCost: 0, ExpectedResponse: 2.5, IsActive: true,
      Description: `${spec.name} (UTM campaign ${spec.name})`, OwnerId: owner, ...auditFields(created, owner),
    });
    // Monthly spend is booked on the 1st of each month (01:00 UTC) while the campaign runs.
    let spent = 0;
    const events: Array<{ at: number; apply: () => void }> = [{ at: start, apply: () => (campaign.Status = 'In Progress') }];
    for (const day of eachDay(orgDate(start), addDays(options.anchorDate, 0))) {
      const at = Date.parse(`${day}T01:00:00Z`);
      if (!day.endsWith('-01') || at <= start || (end !== null && at > end + 31 * DAY)) continue;
      const booked = Math.round((spec.monthlyBudget * jitter(random, 0.12)) / 10_000) * 10_000;
      events.push({ at, apply: () => (campaign.ActualCost = (spent += booked)) });
    }
    if (end !== null) events.push({ at: end, apply: () => { campaign.Status = 'Completed'; campaign.IsActive = false; } });
    for (const event of events.sort((a, b) => a.at - b.at)) {
      if (event.at >= now) break;
      event.apply();
      touch(campaign, event.at, owner);
    }
  });

  const world: World = { store, now, users: { integration, reps, marketers }, campaignIds };

  // Older accounts with their contacts; some edited, some contacts deleted as duplicates.
  const olderRandom = rngFor(options.seed, firstDay, 'older-accounts');
  for (let i = 0; i < 30; i++) {
    const serial = fixedSerials.accounts + i;
    const created = firstMillis - Math.floor(between(olderRandom, 20, 380)) * DAY - Math.floor(olderRandom() * DAY / 1000) * 1000;
    const owner = String(pick(olderRandom, reps.slice(0, 4)).Id);
    const company = companyName(olderRandom);
    const account = put(store, 'Account', accountRecord(salesforceId('Account', serial), company, pick(olderRandom, organicSources), owner, created, olderRandom, integration));
    if (olderRandom() < 0.5) {
      const edited = firstMillis + Math.floor(olderRandom() * historyDays * DAY / 1000) * 1000;
      if (edited < now) {
        account.NumberOfEmployees = Math.round(Number(account.NumberOfEmployees) * between(olderRandom, 1, 1.3));
        touch(account, edited, owner);
      }
    }
    const contacts = i % 2 === 0 ? 2 : 1;
    for (let c = 0; c < contacts; c++) {
      const contact = put(store, 'Contact', contactRecord(salesforceId('Contact', serial * 10 + c), String(account.Id), person(olderRandom), null, owner, created + (c + 1) * 3_600_000, olderRandom, integration));
      if (olderRandom() < 0.08) {
        const deleted = firstMillis + Math.floor(olderRandom() * historyDays * DAY / 1000) * 1000;
        if (deleted < now) softDelete(contact, deleted, owner);
      }
    }
  }

  // Leads, day by day, and everything their journeys create.
  for (const day of eachDay(firstDay, lastDay)) {
    const random = rngFor(options.seed, day, 'leads');
    const weekend = isoWeekday(day) >= 6;
    const expected = 11 * (weekend ? 0.4 : 1) * trendFactor(day, options.anchorDate) * jitter(random, 0.35);
    const count = Math.min(15, randomCount(random, expected));
    for (let j = 0; j < count; j++) simulateLead(world, options.seed, day, j);
  }

  purgeRecycleBin(store, now);
  return { store, now: iso(now), firstDay, lastDay };
}

function userRecord(id: string, last: string, first: string, department: string, title: string, created: number, by: string): SandboxRecord {
  const alias = `u${id.slice(-6, -3).toLowerCase()}`;
  return {
    Id: id, Username: `${alias}@kpi-shop.example`, LastName: last, FirstName: first, Name: `${last}${first}`,
    CompanyName: 'KPI Shop', Department: department, Title: title, Email: `${alias}@kpi-shop.example`, Alias: alias,
    IsActive: true, TimeZoneSidKey: sandboxTimeZone, LocaleSidKey: 'ko_KR', LanguageLocaleKey: 'ko', UserType: 'Standard',
    ManagerId: null, ...auditFields(created, by),
  };
}

function companyName(random: () => number): string {
  return `${pick(random, companyHeads)}${pick(random, companyTails)}`;
}

interface Person {
  readonly last: string;
  readonly first: string;
  readonly title: string;
  readonly city: readonly [string, string, string];
}

function person(random: () => number): Person {
  return { last: pick(random, surnames), first: pick(random, givenNames), title: pick(random, titles), city: pick(random, cities) };
}

function accountRecord(id: string, company: string, source: string, owner: string, created: number, random: () => number, by: string): SandboxRecord {
  const [city, state, postal] = pick(random, cities);
  return {
    Id: id, IsDeleted: false, Name: company, Type: 'Prospect',
    BillingStreet: `${Math.floor(between(random, 1, 300))} Teheran-ro`, BillingCity: city, BillingState: state, BillingPostalCode: postal,
    BillingCountry: 'South Korea', BillingLatitude: null, BillingLongitude: null, BillingGeocodeAccuracy: null,
    Phone: `+82 2-${Math.floor(between(random, 1000, 9999))}-${Math.floor(between(random, 1000, 9999))}`,
    Website: `https://www.${id.slice(-8).toLowerCase()}.example`, Industry: pick(random, industries),
    AnnualRevenue: Math.round(between(random, 1, 80)) * 100_000_000, NumberOfEmployees: Math.floor(between(random, 8, 900)),
    Description: null, AccountSource: source, OwnerId: owner, ...auditFields(created, by),
  };
}

function contactRecord(id: string, accountId: string, who: Person, leadSource: string | null, owner: string, created: number, random: () => number, by: string): SandboxRecord {
  return {
    Id: id, IsDeleted: false, AccountId: accountId, LastName: who.last, FirstName: who.first, Name: `${who.last}${who.first}`,
    MailingStreet: null, MailingCity: who.city[0], MailingState: who.city[1], MailingPostalCode: who.city[2], MailingCountry: 'South Korea',
    MailingLatitude: null, MailingLongitude: null, MailingGeocodeAccuracy: null,
    Phone: `+82 10-${Math.floor(between(random, 1000, 9999))}-${Math.floor(between(random, 1000, 9999))}`,
    Email: `${id.slice(-8).toLowerCase()}@customer.example`, Title: who.title, Department: null, LeadSource: leadSource,
    HasOptedOutOfEmail: false, OwnerId: owner, ...auditFields(created, by),
  };
}

/** A lead's campaign (or none) and lead source. */
function leadOrigin(random: () => number): { campaign: CampaignSpec | undefined; leadSource: string } {
  let roll = random();
  for (const spec of campaignSpecs) {
    if (roll < spec.leadShare) return { campaign: spec, leadSource: spec.leadSource };
    roll -= spec.leadShare;
  }
  return { campaign: undefined, leadSource: pick(random, organicSources) };
}

function activeReps(world: World, millis: number): SandboxRecord[] {
  return world.users.reps.filter((rep) => rep.IsActive === true || Date.parse(String(rep.SystemModstamp)) > millis);
}

interface TimedEvent {
  readonly at: number;
  readonly apply: (at: number) => void;
}

/** One lead created on `day` (the j-th that day) and everything that happens to it before "now". */
function simulateLead(world: World, seed: number, day: string, j: number): void {
  const random = rngFor(seed, day, `lead-${j}`);
  const { store, now } = world;
  const created = Date.parse(`${day}T00:00:00Z`) + Math.floor(random() * 86_400) * 1000;
  const serial = epochDay(created) * 10_000 + j;
  const origin = leadOrigin(random);
  const owner = String(pick(random, activeReps(world, created)).Id);
  const who = person(random);
  const company = companyName(random);
  const integration = world.users.integration;
  const lead = put(store, 'Lead', newLead(salesforceId('Lead', serial), who, company, origin.leadSource, owner, created, random, integration));
  const member = origin.campaign
    ? put(store, 'CampaignMember', newMember(salesforceId('CampaignMember', serial), world.campaignIds.get(origin.campaign.name)!, lead, created, integration))
    : undefined;

  const events: TimedEvent[] = [];
  const after = (from: number, lowDays: number, highDays: number) => from + Math.floor(between(random, lowDays, highDays) * 86_400) * 1000;
  if (random() < 0.02) {
    // Spam: deleted soon after it arrived, with its campaign membership.
    events.push({
      at: after(created, 0.05, 2),
      apply: (at) => {
        softDelete(lead, at, owner);
        if (member) softDelete(member, at, owner);
      },
    });
  } else {
    const mql = random() < 0.55 ? after(created, 0.3, 5) : undefined;
    const sql = mql !== undefined && random() < 0.55 ? after(mql, 1, 10) : undefined;
    const converted = sql !== undefined && random() < 0.6 ? after(sql, 1, 14) : undefined;
    const lastStage = converted ?? sql ?? mql ?? created;
    const disqualified = converted === undefined && random() < 0.5 ? after(lastStage, 3, 20) : undefined;
    const edited = random() < 0.25 ? after(created, 1, 40) : undefined;
    if (mql !== undefined) events.push({ at: mql, apply: (at) => { lead.Status = 'MQL'; lead.MQL_Date__c = orgDate(at); lead.IsUnreadByOwner = false; touch(lead, at, owner); } });
    if (sql !== undefined) events.push({ at: sql, apply: (at) => { lead.Status = 'SQL'; lead.SQL_Date__c = orgDate(at); lead.Rating = 'Warm'; touch(lead, at, owner); } });
    if (disqualified !== undefined) events.push({ at: disqualified, apply: (at) => { lead.Status = 'Disqualified'; lead.Rating = 'Cold'; touch(lead, at, owner); } });
    if (edited !== undefined && edited < (converted ?? Number.POSITIVE_INFINITY)) {
      events.push({ at: edited, apply: (at) => { lead.Title = pick(random, titles); lead.LastActivityDate = orgDate(at); touch(lead, at, owner); } });
    }
    if (converted !== undefined) {
      events.push({ at: converted, apply: (at) => convertLead(world, seed, day, j, lead, member, origin, who, at, owner) });
    }
  }
  for (const event of events.sort((a, b) => a.at - b.at)) {
    if (event.at >= now) break;
    event.apply(event.at);
  }
}

function newLead(id: string, who: Person, company: string, leadSource: string, owner: string, created: number, random: () => number, by: string): SandboxRecord {
  return {
    Id: id, IsDeleted: false, LastName: who.last, FirstName: who.first, Name: `${who.last}${who.first}`, Title: who.title, Company: company,
    Street: null, City: who.city[0], State: who.city[1], PostalCode: who.city[2], Country: 'South Korea', Latitude: null, Longitude: null, GeocodeAccuracy: null,
    Phone: `+82 10-${Math.floor(between(random, 1000, 9999))}-${Math.floor(between(random, 1000, 9999))}`,
    Email: `${id.slice(-8).toLowerCase()}@lead.example`, Website: null, LeadSource: leadSource, Status: 'Open',
    Industry: pick(random, industries), Rating: null, AnnualRevenue: Math.round(between(random, 1, 50)) * 100_000_000,
    NumberOfEmployees: Math.floor(between(random, 5, 500)), OwnerId: owner, IsConverted: false, ConvertedDate: null,
    ConvertedAccountId: null, ConvertedContactId: null, ConvertedOpportunityId: null, IsUnreadByOwner: true,
    ...auditFields(created, by), LastActivityDate: null, MQL_Date__c: null, SQL_Date__c: null,
  };
}

function newMember(id: string, campaignId: string, lead: SandboxRecord, created: number, by: string): SandboxRecord {
  return {
    Id: id, IsDeleted: false, CampaignId: campaignId, LeadId: String(lead.Id), ContactId: null, Status: 'Responded', HasResponded: true,
    FirstRespondedDate: orgDate(created), Type: 'Lead', LeadOrContactId: String(lead.Id), ...auditFields(created, by),
  };
}

/** Conversion: an account, a contact and (nine times in ten) an opportunity, which then lives its own life. */
function convertLead(
  world: World, seed: number, day: string, j: number, lead: SandboxRecord, member: SandboxRecord | undefined,
  origin: { campaign: CampaignSpec | undefined; leadSource: string }, who: Person, at: number, owner: string,
): void {
  const { store } = world;
  const random = rngFor(seed, day, `lead-${j}-conversion`);
  const serial = epochDay(Date.parse(String(lead.CreatedDate))) * 10_000 + j;
  const account = put(store, 'Account', accountRecord(salesforceId('Account', serial), String(lead.Company), origin.leadSource, owner, at, random, owner));
  account.Industry = lead.Industry ?? account.Industry ?? null;
  const contact = put(store, 'Contact', contactRecord(salesforceId('Contact', serial), String(account.Id), who, origin.leadSource, owner, at, random, owner));
  const opportunityId = random() < 0.9 ? salesforceId('Opportunity', serial) : null;
  Object.assign(lead, {
    Status: 'Converted', IsConverted: true, ConvertedDate: orgDate(at), ConvertedAccountId: account.Id,
    ConvertedContactId: contact.Id, ConvertedOpportunityId: opportunityId,
  });
  touch(lead, at, owner);
  if (member) {
    member.ContactId = String(contact.Id);
    touch(member, at, owner);
  }
  if (opportunityId === null) return;
  const campaignId = origin.campaign ? world.campaignIds.get(origin.campaign.name)! : null;
  const opportunity = put(store, 'Opportunity', newOpportunity(opportunityId, String(account.Id), String(lead.Company), campaignId, origin.leadSource, owner, at, random));
  addHistory(store, opportunity, serial * 100, at, owner, null, null);
  simulateOpportunity(world, opportunity, serial * 100, random, at, owner);
}

function newOpportunity(id: string, accountId: string, company: string, campaignId: string | null, leadSource: string, owner: string, created: number, random: () => number): SandboxRecord {
  const amount = Math.round(between(random, 2_000_000, 30_000_000) / 100_000) * 100_000;
  const stage = opportunityStages[0];
  const closeDate = orgDate(created + Math.floor(between(random, 30, 75)) * DAY);
  return {
    Id: id, IsDeleted: false, AccountId: accountId, Name: `${company} - ${pick(random, products)}`, Description: null,
    StageName: stage.name, Amount: amount, Probability: stage.probability, ExpectedRevenue: amount * stage.probability / 100,
    CloseDate: closeDate, Type: 'New Business', NextStep: null, LeadSource: leadSource, IsClosed: false, IsWon: false,
    ForecastCategory: stage.forecast, ForecastCategoryName: forecastName(stage.forecast), CampaignId: campaignId,
    HasOpportunityLineItem: false, OwnerId: owner, ...auditFields(created, owner), LastStageChangeDate: iso(created),
    ...fiscal(closeDate),
  };
}

function forecastName(category: string): string {
  return ({ Pipeline: 'Pipeline', BestCase: 'Best Case', Commit: 'Commit', Closed: 'Closed', Omitted: 'Omitted' } as Record<string, string>)[category] ?? category;
}

function fiscal(closeDate: string): SandboxRecord {
  const year = Number(closeDate.slice(0, 4));
  const quarter = Math.floor((Number(closeDate.slice(5, 7)) - 1) / 3) + 1;
  return { FiscalYear: year, FiscalQuarter: quarter, Fiscal: `${year} ${quarter}` };
}

function historyCount(store: SandboxStore, opportunityId: string): number {
  let count = 0;
  for (const row of store.get('OpportunityHistory')!.values()) if (row.OpportunityId === opportunityId) count++;
  return count;
}

/** An OpportunityHistory row for the opportunity's state after a change at `at`. */
function addHistory(store: SandboxStore, opportunity: SandboxRecord, serialBase: number, at: number, by: string, prevAmount: FieldValue, prevCloseDate: FieldValue): SandboxRecord {
  const index = historyCount(store, String(opportunity.Id));
  const stamp = iso(at);
  return put(store, 'OpportunityHistory', {
    Id: salesforceId('OpportunityHistory', serialBase + index), OpportunityId: String(opportunity.Id), CreatedById: by, CreatedDate: stamp,
    StageName: opportunity.StageName ?? null, Amount: opportunity.Amount ?? null, ExpectedRevenue: opportunity.ExpectedRevenue ?? null,
    CloseDate: opportunity.CloseDate ?? null, Probability: opportunity.Probability ?? null, ForecastCategory: opportunity.ForecastCategory ?? null,
    PrevAmount: prevAmount, PrevCloseDate: prevCloseDate,
    SystemModstamp: stamp, IsDeleted: false,
  });
}

/** Moves an open opportunity to stage `index` (0–4). */
function moveToStage(opportunity: SandboxRecord, index: number, at: number, by: string): void {
  const stage = opportunityStages[index]!;
  Object.assign(opportunity, {
    StageName: stage.name, Probability: stage.probability, ExpectedRevenue: Number(opportunity.Amount) * stage.probability / 100,
    ForecastCategory: stage.forecast, ForecastCategoryName: forecastName(stage.forecast), LastStageChangeDate: iso(at),
  });
  touch(opportunity, at, by);
}

function closeOpportunity(opportunity: SandboxRecord, won: boolean, at: number, by: string): void {
  const closeDate = orgDate(at);
  Object.assign(opportunity, {
    StageName: won ? 'Closed Won' : 'Closed Lost', Probability: won ? 100 : 0, ExpectedRevenue: won ? opportunity.Amount : 0,
    IsClosed: true, IsWon: won, ForecastCategory: won ? 'Closed' : 'Omitted', ForecastCategoryName: won ? 'Closed' : 'Omitted',
    CloseDate: closeDate, LastStageChangeDate: iso(at), ...fiscal(closeDate),
  });
  touch(opportunity, at, by);
}

function reviseAmount(opportunity: SandboxRecord, factor: number, at: number, by: string): void {
  const amount = Math.max(1_000_000, Math.round(Number(opportunity.Amount) * factor / 100_000) * 100_000);
  opportunity.Amount = amount;
  opportunity.ExpectedRevenue = amount * Number(opportunity.Probability) / 100;
  touch(opportunity, at, by);
}

/** Stage moves every 2–9 days to Closed Won (about a third) or to Closed Lost from some stage; stops at "now". */
function simulateOpportunity(world: World, opportunity: SandboxRecord, serialBase: number, random: () => number, created: number, owner: string): void {
  const { store, now } = world;
  const won = random() < 0.32;
  const lastOpenStage = won ? opportunityStages.length - 1 : Math.floor(random() * opportunityStages.length);
  let at = created;
  for (let stage = 1; stage <= lastOpenStage; stage++) {
    at += Math.floor(between(random, 2, 9) * 86_400) * 1000;
    if (at >= now) return;
    const prevAmount = opportunity.Amount ?? null;
    moveToStage(opportunity, stage, at, owner);
    const revise = stage === 3 && random() < 0.5;
    if (revise) reviseAmount(opportunity, between(random, 0.8, 1.2), at, owner);
    addHistory(store, opportunity, serialBase, at, owner, revise ? prevAmount : null, null);
  }
  at += Math.floor(between(random, 2, 10) * 86_400) * 1000;
  if (at >= now) return;
  const prevCloseDate = opportunity.CloseDate ?? null;
  closeOpportunity(opportunity, won, at, owner);
  addHistory(store, opportunity, serialBase, at, owner, null, prevCloseDate);
}

/** Deleted records whose deletion is older than the recycle bin keeps them are gone for good. */
function purgeRecycleBin(store: SandboxStore, now: number): void {
  for (const records of store.values()) {
    for (const [id, record] of records) {
      if (record.IsDeleted === true && Date.parse(String(record.SystemModstamp)) < now - recycleBinDays * DAY) records.delete(id);
    }
  }
}

/** Records per object in the seeded org (deleted ones in the recycle bin included, as queryAll sees them). */
export function seedRecordCounts(options: SalesforceSeedOptions): Record<SandboxObjectName, number> {
  const { store } = buildSalesforceWorld(options);
  return Object.fromEntries(sandboxObjectNames.map((name) => [name, store.get(name)!.size])) as Record<SandboxObjectName, number>;
}

// ---------------------------------------------------------------------------------------------
// Later changes

export interface AdvanceSummary {
  /** The first and last SystemModstamp of the batch. */
  readonly from: string;
  readonly to: string;
  /** Every record whose SystemModstamp moved (created, updated or deleted), per object. */
  readonly changed: Readonly<Partial<Record<SandboxObjectName, readonly string[]>>>;
  readonly created: Readonly<Partial<Record<SandboxObjectName, readonly string[]>>>;
  readonly deleted: Readonly<Partial<Record<SandboxObjectName, readonly string[]>>>;
  readonly opportunities: {
    readonly advanced: readonly string[];
    readonly won: readonly string[];
    readonly lost: readonly string[];
    readonly amountRevised: readonly string[];
  };
  readonly leads: { readonly toMql: readonly string[]; readonly toSql: readonly string[] };
}

/** The newest SystemModstamp in the store (epoch ms). */
export function newestModstamp(store: SandboxStore): number {
  let newest = 0;
  for (const records of store.values()) {
    for (const record of records.values()) newest = Math.max(newest, Date.parse(String(record.SystemModstamp)));
  }
  return newest;
}

/**
 * Batch `batch` (1, 2, …) of later changes, one second apart, starting a minute after the newest
 * SystemModstamp (or at `startAt`): 3 opportunities move a stage, one is won, one lost, one has its
 * amount revised (each with an OpportunityHistory row), one is deleted (its history with it); 2 open
 * leads become MQL and one MQL becomes SQL, one lead is deleted; a new lead (a b2b_webinar member)
 * and a new opportunity on an existing account arrive.
 */
export function advanceWorld(store: SandboxStore, options: SalesforceSeedOptions, batch: number, startAt?: number): AdvanceSummary {
  const random = rngFor(options.seed, options.anchorDate, `advance-${batch}`);
  let at = startAt ?? newestModstamp(store) + 60_000;
  const first = at;
  const next = () => (at += 1000);
  const changed = new Map<SandboxObjectName, Set<string>>();
  const created = new Map<SandboxObjectName, string[]>();
  const deleted = new Map<SandboxObjectName, string[]>();
  const note = (object: SandboxObjectName, record: SandboxRecord) => {
    let ids = changed.get(object);
    if (!ids) changed.set(object, (ids = new Set()));
    ids.add(String(record.Id));
  };
  const list = (map: Map<SandboxObjectName, string[]>, object: SandboxObjectName, id: string) => {
    let ids = map.get(object);
    if (!ids) map.set(object, (ids = []));
    ids.push(id);
  };
  const integration = [...store.get('User')!.values()].find((u) => u.Department === 'IT')!.Id as string;
  const sorted = (object: SandboxObjectName, filter: (r: SandboxRecord) => boolean) =>
    [...store.get(object)!.values()].filter((r) => r.IsDeleted !== true && filter(r)).sort((a, b) => String(a.Id).localeCompare(String(b.Id)));
  const draw = <T>(items: T[]): T | undefined => (items.length === 0 ? undefined : items.splice(Math.floor(random() * items.length), 1)[0]);
  const serialBase = epochDay(first) * 10_000 + 9_000 + (batch % 100) * 10;

  // Opportunities
  const open = sorted('Opportunity', (o) => o.IsClosed === false);
  const advanced: string[] = [];
  const won: string[] = [];
  const lost: string[] = [];
  const amountRevised: string[] = [];
  const historyBase = (o: SandboxRecord) => {
    const firstRow = [...store.get('OpportunityHistory')!.values()].find((h) => h.OpportunityId === o.Id);
    const firstSerial = firstRow ? firstRow.Id : salesforceId('OpportunityHistory', 0);
    return serialOf(String(firstSerial));
  };
  const record = (o: SandboxRecord, prevAmount: FieldValue = null, prevCloseDate: FieldValue = null) => {
    note('Opportunity', o);
    const row = addHistory(store, o, historyBase(o) - (historyBase(o) % 100), at, String(o.OwnerId), prevAmount, prevCloseDate);
    note('OpportunityHistory', row);
    list(created, 'OpportunityHistory', String(row.Id));
  };
  for (let i = 0; i < 3; i++) {
    const o = draw(open.filter((x) => x.StageName !== opportunityStages[4].name));
    if (!o) break;
    open.splice(open.indexOf(o), 1);
    const index = opportunityStages.findIndex((s) => s.name === o.StageName);
    moveToStage(o, index + 1, next(), String(o.OwnerId));
    record(o);
    advanced.push(String(o.Id));
  }
  for (const outcome of [true, false]) {
    const o = draw(open);
    if (!o) break;
    const prevCloseDate = o.CloseDate ?? null;
    closeOpportunity(o, outcome, next(), String(o.OwnerId));
    record(o, null, prevCloseDate);
    (outcome ? won : lost).push(String(o.Id));
  }
  const revised = draw(open);
  if (revised) {
    const prevAmount = revised.Amount ?? null;
    reviseAmount(revised, between(random, 0.7, 1.3), next(), String(revised.OwnerId));
    record(revised, prevAmount);
    amountRevised.push(String(revised.Id));
  }
  const doomed = draw(open);
  if (doomed) {
    softDelete(doomed, next(), String(doomed.OwnerId));
    note('Opportunity', doomed);
    list(deleted, 'Opportunity', String(doomed.Id));
    for (const row of store.get('OpportunityHistory')!.values()) {
      if (row.OpportunityId === doomed.Id && row.IsDeleted !== true) {
        softDelete(row, at, String(doomed.OwnerId));
        note('OpportunityHistory', row);
        list(deleted, 'OpportunityHistory', String(row.Id));
      }
    }
  }

  // Leads
  const toMql: string[] = [];
  const toSql: string[] = [];
  const openLeads = sorted('Lead', (l) => l.Status === 'Open');
  const mqlLeads = sorted('Lead', (l) => l.Status === 'MQL');
  for (let i = 0; i < 2; i++) {
    const lead = draw(openLeads);
    if (!lead) break;
    lead.Status = 'MQL';
    lead.MQL_Date__c = orgDate(next());
    touch(lead, at, String(lead.OwnerId));
    note('Lead', lead);
    toMql.push(String(lead.Id));
  }
  const qualified = draw(mqlLeads);
  if (qualified) {
    qualified.Status = 'SQL';
    qualified.SQL_Date__c = orgDate(next());
    touch(qualified, at, String(qualified.OwnerId));
    note('Lead', qualified);
    toSql.push(String(qualified.Id));
  }
  const spam = draw(openLeads);
  if (spam) {
    softDelete(spam, next(), String(spam.OwnerId));
    note('Lead', spam);
    list(deleted, 'Lead', String(spam.Id));
    for (const member of store.get('CampaignMember')!.values()) {
      if (member.LeadId === spam.Id && member.IsDeleted !== true) {
        softDelete(member, at, String(spam.OwnerId));
        note('CampaignMember', member);
        list(deleted, 'CampaignMember', String(member.Id));
      }
    }
  }

  // New records
  const reps = sorted('User', (u) => u.Department === 'Sales' && u.IsActive === true);
  const owner = String(reps[Math.floor(random() * reps.length)]?.Id ?? integration);
  const leadAt = next();
  const lead = put(store, 'Lead', newLead(salesforceId('Lead', serialBase), person(random), companyName(random), 'Webinar', owner, leadAt, random, integration));
  note('Lead', lead);
  list(created, 'Lead', String(lead.Id));
  const webinar = sorted('Campaign', (c) => c.Name === 'b2b_webinar')[0];
  if (webinar) {
    const member = put(store, 'CampaignMember', newMember(salesforceId('CampaignMember', serialBase), String(webinar.Id), lead, leadAt, integration));
    note('CampaignMember', member);
    list(created, 'CampaignMember', String(member.Id));
  }
  const account = sorted('Account', () => true)[0];
  if (account) {
    const opportunityAt = next();
    const opportunity = put(store, 'Opportunity', newOpportunity(salesforceId('Opportunity', serialBase + 1), String(account.Id), String(account.Name), null, 'Partner Referral', owner, opportunityAt, random));
    note('Opportunity', opportunity);
    list(created, 'Opportunity', String(opportunity.Id));
    const row = addHistory(store, opportunity, (serialBase + 1) * 100, opportunityAt, owner, null, null);
    note('OpportunityHistory', row);
    list(created, 'OpportunityHistory', String(row.Id));
  }

  const asObject = (map: Map<SandboxObjectName, Iterable<string>>) => Object.fromEntries([...map].map(([k, v]) => [k, [...v]]));
  return {
    from: iso(first), to: iso(at),
    changed: asObject(changed), created: asObject(created), deleted: asObject(deleted),
    opportunities: { advanced, won, lost, amountRevised },
    leads: { toMql, toSql },
  };
}

/** The serial number inside an Id made by `salesforceId`. */
function serialOf(id: string): number {
  let n = 0;
  for (const c of id.slice(6, 15)) n = n * 62 + base62.indexOf(c);
  return n;
}
