// GET /map/cameras: what the map draws, for everyone whose scope lists cameras, in columns (see cameras/map-listing.ts).
// The same scope() filter as GET /cameras decides the rows; the card asks GET /cameras/:id for the rest on click.
// The listing holds no per-user field, so it depends on the scope filter alone: the serialised answer is kept per
// filter and page, and reused while the filter's version (one aggregate query) is unchanged — a station's officers
// opening the map cost one listing between changes, not one each.
import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid } from '../schemas.ts';
import { authOf, requireUser } from '../auth-hook.ts';
import { subjectOf } from '../../services/subjects.ts';
import { scope } from '../../access/scope.ts';
import { mapListing, type MapListing } from '../../cameras/map-listing.ts';
import { prepareJson, sendPrepared, type PreparedJson } from '../revalidated-json.ts';

const Index = Type.Integer({ minimum: -1 });
const MapCamerasBody = Type.Object({
  count: Type.Integer({ description: 'Cameras on this page' }),
  next: Type.Union([Uuid, Type.Null()], { description: 'afterId for the next page; null on the last page' }),
  ownerClasses: Type.Array(Type.String(), { description: 'Dictionary for ownerClass' }),
  sharingModes: Type.Array(Type.String(), { description: 'Dictionary for sharingMode' }),
  stations: Type.Array(Uuid, { description: 'Dictionary for station' }),
  villages: Type.Array(Uuid, { description: 'Dictionary for village' }),
  states: Type.Array(Type.String(), { description: 'Dictionary for state' }),
  ids: Type.Array(Uuid),
  names: Type.Array(Type.String()),
  lon: Type.Array(Type.Number()),
  lat: Type.Array(Type.Number()),
  ownerClass: Type.Array(Index, { description: 'Index into ownerClasses' }),
  station: Type.Array(Index, { description: 'Index into stations' }),
  village: Type.Array(Index, { description: 'Index into villages; -1 for none' }),
  sharingMode: Type.Array(Index, { description: 'Index into sharingModes; -1 for none' }),
  state: Type.Array(Index, { description: 'Index into states' }),
  enabled: Type.Array(Type.Integer({ minimum: 0, maximum: 1 }), { description: '1 enabled, 0 disabled' }),
});

const EMPTY: MapListing = mapListing([], 1);
// Bounded by count and by bytes (a station's 6,000 cameras are about 1.2 MB as a string plus 0.2 MB gzipped).
const CACHE_ENTRIES = 64;
const CACHE_BYTES = 64 * 1024 * 1024;
const bytesOf = (a: PreparedJson): number => a.body.length * 2 + (a.gzipped?.length ?? 0);

export default async function mapRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const kept = new Map<string, { version: string; answer: PreparedJson }>();
  let keptBytes = 0;
  const forget = (key: string) => {
    const e = kept.get(key);
    if (!e) return;
    keptBytes -= bytesOf(e.answer);
    kept.delete(key);
  };
  app.get('/map/cameras', {
    preHandler: requireUser(gw),
    schema: {
      security: [{ bearer: [] }], tags: ['cameras'],
      summary: 'The cameras this user may see listed, as the map draws them: column arrays, one entry per camera in id order, with an ETag (If-None-Match → 304)',
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 50_000, default: 20_000 }),
        afterId: Type.Optional(Uuid),
      }, { additionalProperties: false }),
      response: withErrors({ 200: MapCamerasBody, 304: Type.Null({ description: 'Not modified: the listing still has the ETag sent in If-None-Match' }) }),
    },
  }, async (req, reply) => {
    const subject = await subjectOf(authOf(req).user, gw.repos.jurisdictions);
    const filter = scope(subject).cameras;
    if (!filter) return sendPrepared(req, reply, await prepareJson(reply, EMPTY));
    const { limit, afterId } = req.query;
    const key = JSON.stringify([filter, afterId ?? null, limit]);
    // the version first: a change committed between the two reads leaves the entry looking stale, not fresh
    const version = await gw.repos.cameras.mapVersion({ ...filter, afterId, limit });
    const hit = kept.get(key);
    if (hit && hit.version === version) return sendPrepared(req, reply, hit.answer);
    const answer = await prepareJson(reply, mapListing(await gw.repos.cameras.mapRows({ ...filter, afterId, limit }), limit));
    forget(key);
    if (bytesOf(answer) <= CACHE_BYTES / 4) {
      kept.set(key, { version, answer });
      keptBytes += bytesOf(answer);
      // oldest first
      while (kept.size > CACHE_ENTRIES || keptBytes > CACHE_BYTES) forget(kept.keys().next().value!);
    }
    return sendPrepared(req, reply, answer);
  });
}
