import type { Trx } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { cancelEvent } from './cancelEvent.ts';
import { createEvent } from './createEvent.ts';
import { attachEventImage } from './eventMedia.ts';
import { demoPoster } from './posterImages.ts';
import { followPlace } from './followPlace.ts';
import { followTag } from './followTag.ts';
import { publishEvent } from './publishEvent.ts';
import { updateAgendaSettings } from './updateAgendaSettings.ts';
import { localDate } from './zonedTime.ts';

interface Template {
  title: string;
  description: string;
  tags: string[];
  time: string;
  hours: number;
  priceFromCents: number | null;
  performers?: string[];
}

/** Recurring kinds of events per demo venue (fictional names, in the spirit of La Réunion's scene). */
const TEMPLATES: Record<string, Template[]> = {
  'la-fabrik': [
    {
      title: 'Atelier sérigraphie',
      description: 'Impression de vos propres affiches. **Matériel fourni.**',
      tags: ['atelier', 'arts-visuels'],
      time: '14:00',
      hours: 3,
      priceFromCents: 800,
    },
    {
      title: 'Jam maloya du jeudi',
      description: 'Scène ouverte : apportez vos instruments.',
      tags: ['maloya', 'musique', 'jam'],
      time: '19:30',
      hours: 3,
      priceFromCents: 0,
    },
    {
      title: 'Repair café',
      description: 'On répare ensemble petit électroménager, vélos et vêtements.',
      tags: ['repair-cafe', 'ecologie'],
      time: '09:30',
      hours: 4,
      priceFromCents: 0,
    },
    {
      title: 'Concert électro-séga',
      description: 'Un mélange de machines et de séga traditionnel.',
      tags: ['sega', 'electro', 'musique'],
      time: '21:00',
      hours: 4,
      priceFromCents: 1200,
      performers: ['Kolektif Zarboutan'],
    },
  ],
  'salle-kabaret': [
    {
      title: 'Maloya au cœur de Saint-Denis',
      description: 'Une soirée de maloya avec les voix du Nord.',
      tags: ['maloya', 'musique', 'concert'],
      time: '20:00',
      hours: 3,
      priceFromCents: 1800,
      performers: ['Lansèt Maloya'],
    },
    {
      title: 'Nuit du séga',
      description: 'Bal séga jusqu’au bout de la nuit.',
      tags: ['sega', 'bal', 'musique'],
      time: '21:00',
      hours: 5,
      priceFromCents: 1000,
    },
    {
      title: 'Stand-up créole',
      description: 'Humoristes en créole et en français.',
      tags: ['humour', 'spectacle'],
      time: '20:30',
      hours: 2,
      priceFromCents: 1500,
    },
    {
      title: 'Ciné-concert jeune public',
      description: 'Des courts métrages accompagnés en direct.',
      tags: ['jeune-public', 'cinema', 'musique'],
      time: '15:00',
      hours: 1.5,
      priceFromCents: 500,
    },
  ],
  'jardin-partage': [
    {
      title: 'Troc de graines',
      description: 'Échangez vos semences lontan.',
      tags: ['jardin', 'ecologie', 'troc'],
      time: '09:00',
      hours: 3,
      priceFromCents: 0,
    },
    {
      title: 'Chantier participatif',
      description: 'Construction de bacs de culture.',
      tags: ['jardin', 'chantier'],
      time: '08:30',
      hours: 4,
      priceFromCents: 0,
    },
    {
      title: 'Café tisane et plantes médicinales',
      description: 'Découverte des tisanes péi.',
      tags: ['jardin', 'rencontre'],
      time: '16:00',
      hours: 2,
      priceFromCents: 300,
    },
  ],
  'festival-lagon': [
    {
      title: 'Festival du Lagon — soirée d’ouverture',
      description: 'Trois scènes au bord du lagon.',
      tags: ['festival', 'musique', 'maloya'],
      time: '18:00',
      hours: 6,
      priceFromCents: 2500,
      performers: ['Lansèt Maloya', 'Kolektif Zarboutan'],
    },
    {
      title: 'Sunset électro sur la plage',
      description: 'DJ sets au coucher du soleil.',
      tags: ['festival', 'electro', 'musique'],
      time: '17:00',
      hours: 4,
      priceFromCents: 1500,
    },
  ],
};

/** Each demo venue's poster colour (dark enough for white type: contrast above 4.5:1). */
const POSTER_COLOURS: Record<string, string> = {
  'la-fabrik': '#8a3b12',
  'salle-kabaret': '#5b2a86',
  'jardin-partage': '#2f6b2f',
  'festival-lagon': '#0e5f66',
};

/** The demo's recurring event: a weekly jam on Tuesdays for twelve weeks, written out from a rule. */
async function weeklyJam(trx: Trx, place: { id: string; name: string; timezone: string }, now: Date): Promise<void> {
  const event = await createEvent(trx, SYSTEM, {
    placeId: place.id,
    title: 'Jam session du mardi',
    description: 'Chaque mardi, scène ouverte jazz et maloya : la batterie et l’ampli basse sont là.',
    tags: ['jam', 'musique', 'jazz'],
    priceFromCents: 0,
    recurrence: {
      frequency: 'weekly',
      weekdays: ['TU'],
      startDate: localDate(new Date(now.getTime() + 86_400_000), place.timezone),
      startTime: '20:00',
      endTime: '23:00',
      count: 12,
    },
  });
  const poster = await demoPoster({
    title: event.title,
    when: 'Chaque mardi, 20:00',
    venue: place.name,
    colour: POSTER_COLOURS['la-fabrik']!,
  });
  await attachEventImage(trx, event, poster);
  await publishEvent(trx, SYSTEM, { eventId: event.id });
}

/**
 * The demo agenda: about 70 public events over the next 90 days across the demo venues, with
 * follows between venues and tag follows, and one cancelled, one unlisted and one private event.
 * Runs in the demo loader's transaction (all or nothing).
 */
export async function loadDemoAgenda(trx: Trx, now = new Date()): Promise<{ events: number }> {
  const places = await trx
    .selectFrom('places')
    .select(['id', 'slug', 'name', 'timezone'])
    .where('slug', 'in', Object.keys(TEMPLATES))
    .execute();
  const bySlug = new Map(places.map((p) => [p.slug, p]));
  let count = 0;
  const created: Record<string, string[]> = {};
  for (const [slug, templates] of Object.entries(TEMPLATES)) {
    const place = bySlug.get(slug);
    if (!place) continue;
    // Spread each venue's events over 90 days: one every few days, cycling through its templates.
    const step = slug === 'festival-lagon' ? 9 : slug === 'jardin-partage' ? 5 : 4;
    for (let day = 1 + places.indexOf(place), i = 0; day <= 89; day += step, i++) {
      const tpl = templates[i % templates.length]!;
      const date = localDate(new Date(now.getTime() + day * 86_400_000), place.timezone);
      const [h, m] = tpl.time.split(':').map(Number) as [number, number];
      const endMinutes = h * 60 + m + Math.round(tpl.hours * 60);
      const endDate = localDate(
        new Date(now.getTime() + (day + Math.floor(endMinutes / 1440)) * 86_400_000),
        place.timezone,
      );
      const end = `${endDate}T${String(Math.floor(endMinutes / 60) % 24).padStart(2, '0')}:${String(endMinutes % 60).padStart(2, '0')}`;
      const event = await createEvent(trx, SYSTEM, {
        placeId: place.id,
        title: tpl.title,
        description: tpl.description,
        tags: tpl.tags,
        performers: tpl.performers ?? [],
        priceFromCents: tpl.priceFromCents,
        dates: [{ startsAt: `${date}T${tpl.time}`, endsAt: end }],
      });
      const when = new Intl.DateTimeFormat('fr-FR', {
        weekday: 'long',
        day: 'numeric',
        month: 'long',
        hour: '2-digit',
        minute: '2-digit',
        timeZone: place.timezone,
      }).format(event.dates[0]!.startsAt);
      const poster = await demoPoster({ title: tpl.title, when, venue: place.name, colour: POSTER_COLOURS[slug]! });
      await attachEventImage(trx, event, poster);
      await publishEvent(trx, SYSTEM, { eventId: event.id });
      (created[slug] ??= []).push(event.id);
      count++;
    }
  }
  const fabrik = bySlug.get('la-fabrik');
  const kabaret = bySlug.get('salle-kabaret');
  const jardin = bySlug.get('jardin-partage');
  const lagon = bySlug.get('festival-lagon');
  if (fabrik && kabaret && jardin && lagon) {
    await cancelEvent(trx, SYSTEM, { eventId: created['salle-kabaret']![2]! });
    const special = async (title: string, visibility: 'unlisted' | 'private', place: typeof fabrik, day: number) => {
      const e = await createEvent(trx, SYSTEM, {
        placeId: place.id,
        title,
        visibility,
        tags: ['reunion-interne'],
        dates: [{ startsAt: `${localDate(new Date(now.getTime() + day * 86_400_000), place.timezone)}T18:00` }],
      });
      await publishEvent(trx, SYSTEM, { eventId: e.id });
    };
    await weeklyJam(trx, fabrik, now);
    count++;
    await special('Avant-première pour les adhérents (lien privé)', 'unlisted', fabrik, 12);
    await special('Réunion d’équipe bénévoles', 'private', kabaret, 8);
    await followPlace(trx, SYSTEM, {
      placeId: fabrik.id,
      followedPlaceId: kabaret.id,
      includeTags: ['maloya', 'sega'],
    });
    await followPlace(trx, SYSTEM, { placeId: fabrik.id, followedPlaceId: jardin.id, excludeTags: ['chantier'] });
    await followPlace(trx, SYSTEM, { placeId: kabaret.id, followedPlaceId: lagon.id });
    await followPlace(trx, SYSTEM, { placeId: jardin.id, followedPlaceId: fabrik.id, includeTags: ['ecologie'] });
    await followTag(trx, SYSTEM, { placeId: lagon.id, tag: 'maloya' });
    await updateAgendaSettings(trx, SYSTEM, { placeId: jardin.id, acceptsProposals: true });
  }
  return { events: count };
}
