import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { ensurePerson, requireEmail, requestLoginLink } from '../accounts/index.ts';
import { translate } from '../i18n/i18n.ts';
import { queueMail } from '../mail/index.ts';
import { DomainError } from '../shared/errors.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { readRole, lockTeam, type TeamMember } from './team.ts';

/** An invitation's login link stays valid three days: people do not read mail within minutes. */
export const INVITATION_TTL_MINUTES = 72 * 60;

/**
 * A place admin gives a role to a person by e-mail. The account is created if the address is new;
 * the person gets a mail in their language with a login link that opens the place's page.
 */
export async function inviteMember(
  db: Db,
  config: Config,
  actor: Actor,
  input: { slug: string; email: unknown; role: unknown },
): Promise<TeamMember> {
  const email = requireEmail(input.email);
  const role = readRole(input.role);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    // Lock first, then check the actor's role: an admin demoted while this change waited for the
    // lock must be refused, so the role is read after the lock, not before.
    await lockTeam(trx, place.id);
    await authorize(trx, actor, place.id, 'place.team.manage');
    const person = await ensurePerson(trx, email, place.language);
    const added = await trx
      .insertInto('place_members')
      .values({ place_id: place.id, person_id: person.id, role })
      .onConflict((oc) => oc.columns(['place_id', 'person_id']).doNothing())
      .returning('created_at')
      .executeTakeFirst();
    if (!added) throw new DomainError('validation', 422, {}, [{ field: 'email', message: 'already-member' }]);
    const link = await requestLoginLink(trx, config, {
      email,
      nextPath: `/venues/${place.slug}`,
      language: person.language,
      sendMail: false,
      ttlMinutes: INVITATION_TTL_MINUTES,
    });
    const lang = person.language;
    const params = {
      place: place.name,
      role: translate(lang, `roles.${role}`),
      link: link.url,
      hours: INVITATION_TTL_MINUTES / 60,
    };
    await queueMail(
      trx,
      {
        to: email,
        language: lang,
        subject: translate(lang, 'mail.invite.subject', params),
        text: translate(lang, 'mail.invite.text', params),
      },
      Boolean(config.smtpUrl),
    );
    await audit(trx, actor, { placeId: place.id, action: 'team.invited', subjectId: person.id, data: { email, role } });
    return { personId: person.id, email: person.email, name: person.name, role, since: added.created_at };
  });
}
