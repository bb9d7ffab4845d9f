/**
 * `npm run bench:agenda`: the agenda's read latency at territory scale, on the PostgreSQL server of
 * DATABASE_URL (in a scratch database created here and dropped at the end, so a real node's data is
 * never touched).
 *
 * Loads 1,000 venues × 100 events (100,000 events, one date each over the next 90 days, two tags
 * each, a few drafts and private ones, venue and tag follows), then measures through HTTP on
 * 127.0.0.1, one request at a time:
 *   territory   GET /agenda                                   first page of the territory agenda
 *   filtered    GET /agenda?tag=…&range=custom&from=…&to=…     tag + date range
 *   deep        GET /agenda?cursor=…                           the page after the 5,000th date
 *   venue       GET /venues/bench-0000                        a venue agenda following 50 venues
 *   api         GET /api/v1/events?limit=50                    the JSON list
 * Prints p50 and p99 per query and ends with `agenda_p99_ms=<worst p99> events=<n>`.
 * Settings: BENCH_REQUESTS (per query, default 300).
 */
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { sql } from 'kysely';
import { request } from 'undici';
import { testConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { assembleNode } from '../src/node/node.ts';
import { encodeCursor } from '../src/agenda/agendaQuery.ts';
import { admin, databaseOn, log, requireServerUrl } from './common.ts';

const VENUES = 1000;
const EVENTS_PER_VENUE = 100;
const FOLLOWED = 50;
const REQUESTS = Math.min(Number(process.env.BENCH_REQUESTS) || 300, 5000);
const TAGS = ['maloya', 'sega', 'jazz', 'electro', 'theatre', 'jeune-public', 'atelier', 'cinema', 'danse', 'conte'];

const serverUrl = requireServerUrl('bench:agenda');

const name = `rezo_bench_agenda_${process.pid}`;
await admin(serverUrl, `create database ${name}`);
const database = await openDatabase({ url: databaseOn(serverUrl, name), poolSize: 10 });
try {
  await migrate(database);
  const db = database.db;
  const t0 = performance.now();
  // Bulk load in SQL: the use cases would take minutes for 100,000 events and measure nothing here.
  await sql`insert into places (id, slug, name, city, timezone)
    select gen_random_uuid(), 'bench-' || lpad(i::text, 4, '0'), 'Bench venue ' || i, 'Saint-Pierre', 'Indian/Reunion'
    from generate_series(0, ${VENUES - 1}) i`.execute(db);
  await sql`insert into events (place_id, id, slug, title, description_md, description_html, state, visibility, price_from_cents, published_at)
    select p.id, gen_random_uuid(), p.slug || '-e' || j, 'Concert ' || j || ' — ' || p.name,
      'Une soirée de musique numéro ' || j, '<p>Une soirée de musique numéro ' || j || '</p>',
      case when j % 50 = 0 then 'draft' else 'published' end,
      case when j % 40 = 0 then 'private' when j % 45 = 0 then 'unlisted' else 'public' end,
      case when j % 5 = 0 then 0 else 1000 end, now()
    from places p cross join generate_series(0, ${EVENTS_PER_VENUE - 1}) j`.execute(db);
  await sql`insert into event_dates (place_id, event_id, id, starts_at, ends_at, timezone)
    select place_id, id, gen_random_uuid(), s, s + interval '3 hours', 'Indian/Reunion'
    from (select place_id, id, date_trunc('minute', now() + random() * interval '90 days') as s from events) x`.execute(
    db,
  );
  for (const shift of [0, 3]) {
    await sql`insert into event_tags (place_id, event_id, tag)
      select place_id, id, (${TAGS}::text[])[1 + (abs(hashtext(id::text)) + ${shift}) % ${TAGS.length}] from events
      on conflict do nothing`.execute(db);
  }
  // bench-0000 follows 50 venues (some with tag rules) and two tags; every other venue follows three.
  await sql`insert into place_follows (place_id, followed_place_id, include_tags, exclude_tags)
    select a.id, b.id, case when b.slug::text like '%0' then array['maloya', 'sega'] else '{}' end,
      case when b.slug::text like '%5' then array['jeune-public'] else '{}' end
    from places a, places b where a.slug = 'bench-0000' and b.slug between 'bench-0001' and ${`bench-${String(FOLLOWED).padStart(4, '0')}`}`.execute(
    db,
  );
  await sql`insert into place_follows (place_id, followed_place_id)
    select a.id, b.id from places a cross join generate_series(1, 3) k
    join places b on b.slug = 'bench-' || lpad(((substr(a.slug, 7)::int + k) % ${VENUES})::text, 4, '0')
    where a.slug <> 'bench-0000' on conflict do nothing`.execute(db);
  await sql`insert into tag_follows (place_id, tag) select id, t from places, unnest(array['conte', 'danse']) t where slug = 'bench-0000'`.execute(
    db,
  );
  await sql`analyze`.execute(db);
  const events = Number((await sql<{ n: number }>`select count(*)::int as n from events`.execute(db)).rows[0]!.n);
  log(`loaded ${VENUES} venues, ${events} events in ${Math.round(performance.now() - t0)} ms`);

  // The cursor after the 5,000th listed date, as a reader paging that deep would hold it.
  const deep = (
    await sql<{
      id: string;
      starts_at: Date;
    }>`select d.id, d.starts_at from event_dates d join events e on e.place_id = d.place_id and e.id = d.event_id
    where e.visibility = 'public' and e.state <> 'draft' and d.starts_at >= now() order by d.starts_at, d.id offset 4999 limit 1`.execute(
      db,
    )
  ).rows[0]!;
  const cursor = encodeCursor({ startsAt: deep.starts_at, dateId: deep.id });
  const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

  const node = await assembleNode(testConfig({ baseUrl: 'http://127.0.0.1' }), database, pino({ level: 'silent' }));
  await node.app.listen({ host: '127.0.0.1', port: 0 });
  const address = node.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const queries: [string, string][] = [
    ['territory', '/agenda'],
    ['filtered', `/agenda?tag=jazz&range=custom&from=${day(10)}&to=${day(40)}`],
    ['deep', `/agenda?cursor=${cursor}`],
    ['venue', '/venues/bench-0000'],
    ['api', '/api/v1/events?limit=50'],
  ];
  let worst = 0;
  try {
    for (const [label, path] of queries) {
      const times: number[] = [];
      // A few warm-up requests (plans, caches), then the measured ones, one at a time.
      for (let i = 0; i < 10 + REQUESTS; i++) {
        const start = performance.now();
        const r = await request(base + path, { headers: { 'accept-language': 'fr' } });
        const body = await r.body.text();
        const ms = performance.now() - start;
        if (r.statusCode !== 200) throw new Error(`${path}: ${r.statusCode} ${body.slice(0, 200)}`);
        if (i >= 10) times.push(ms);
      }
      times.sort((a, b) => a - b);
      const p50 = times[Math.floor(times.length * 0.5)]!;
      const p99 = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!;
      worst = Math.max(worst, p99);
      log(
        `${label.padEnd(10)} p50=${p50.toFixed(1)}ms p99=${p99.toFixed(1)}ms  (${REQUESTS} requests, ${path.slice(0, 60)})`,
      );
    }
  } finally {
    await node.stop();
  }
  log(`agenda_p99_ms=${worst.toFixed(1)} events=${events}`);
} finally {
  await database.close();
  await admin(serverUrl, `drop database if exists ${name} with (force)`);
}
