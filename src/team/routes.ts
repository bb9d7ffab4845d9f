import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, select, type FormState } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { ROLES } from '../access/actor.ts';
import { adminNav } from '../places/index.ts';
import type { Place } from '../places/index.ts';
import { changeMemberRole } from './changeMemberRole.ts';
import { inviteMember } from './inviteMember.ts';
import { listTeam } from './listTeam.ts';
import { removeMember } from './removeMember.ts';
import type { TeamMember } from './team.ts';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Member = Type.Object({
  personId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  since: Type.String({ format: 'date-time' }),
});
const present = (m: TeamMember) => ({ ...m, since: m.since.toISOString() });
const Params = Type.Object({ slug: Type.String({ maxLength: 60 }) });
const MemberParams = Type.Object({ slug: Type.String({ maxLength: 60 }), personId: Type.String({ maxLength: 36 }) });

/** The team page of a venue (admins) and the team API. */
export async function teamRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db } = deps;

  async function teamPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form: FormState,
    status = 200,
    notice?: string,
  ) {
    const { t, person } = request.ctx;
    const team = await listTeam(db, actorOf(request), place.slug);
    const roleOptions = ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }));
    const body = html`<section>
${adminNav(request, place, 'team')}
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<div class="table-scroll"><table class="list">
<caption>${t('team.caption', { count: team.length })}</caption>
<thead><tr><th scope="col">${t('team.person')}</th><th scope="col">${t('labels.role')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${team.map(
      (m) => html`<tr>
<td>${m.name || m.email}${m.name ? html`<br><small>${m.email}</small>` : ''}${m.personId === person?.id ? html` <small>(${t('team.you')})</small>` : ''}</td>
<td><form method="post" action="/venues/${place.slug}/admin/team/${m.personId}/role" class="inline">${csrfField(request)}
<label class="visually-hidden" for="role-${m.personId}">${t('team.roleOf', { who: m.name || m.email })}</label>
<select id="role-${m.personId}" name="role">${roleOptions.map((o) => html`<option value="${o.value}"${o.value === m.role ? html` selected` : ''}>${o.label}</option>`)}</select>
<button type="submit">${t('team.changeRole')}</button></form></td>
<td><form method="post" action="/venues/${place.slug}/admin/team/${m.personId}/remove" class="inline">${csrfField(request)}<button type="submit" class="danger">${t('team.remove')}</button></form></td>
</tr>`,
    )}</tbody>
</table></div>
<h2>${t('team.invite')}</h2>
${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/team" novalidate>
${csrfField(request)}
${input(request, form, 'email', { type: 'email', required: true })}
${select(request, form, 'role', roleOptions)}
<button type="submit">${t('team.inviteSubmit')}</button>
</form>
<h2>${t('team.rolesTitle')}</h2>
<dl>${ROLES.map((r) => html`<dt>${t(`roles.${r}`)}</dt><dd>${t(`roles.${r}.help`)}</dd>`)}</dl>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('admin.titles.team'), body }), status);
  }

  // The team's reads and use cases authorise (team.manage).
  const placeFor = venueFor(db, null);

  app.get('/venues/:slug/admin/team', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    return teamPage(request, reply, place, emptyForm({ role: 'editor' }));
  });

  app.post('/venues/:slug/admin/team', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    return submitForm(reply, {
      run: () => inviteMember(db, config, actorOf(request), { slug: place.slug, email: body.email, role: body.role }),
      done: (member) => {
        const notice = request.ctx.t('team.invited', { email: member.email });
        return teamPage(request, reply, place, emptyForm({ role: 'editor' }), 200, notice);
      },
      invalid: (errors) => teamPage(request, reply, place, { values: body, errors }, 422),
    });
  });

  app.post('/venues/:slug/admin/team/:personId/role', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const { personId } = request.params as { personId: string };
    await changeMemberRole(db, actorOf(request), {
      slug: place.slug,
      personId,
      role: (request.body as Record<string, unknown>)?.role,
    });
    return reply.redirect(`/venues/${place.slug}/admin/team`, 303);
  });

  app.post('/venues/:slug/admin/team/:personId/remove', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const { personId } = request.params as { personId: string };
    await removeMember(db, actorOf(request), { slug: place.slug, personId });
    // Removing oneself ends one's access to this page.
    return reply.redirect(personId === request.ctx.person?.id ? '/account' : `/venues/${place.slug}/admin/team`, 303);
  });

  // --- API ---
  const security: Record<string, string[]>[] = [{ apiKey: [] }, { session: [] }];
  app.get(
    '/api/v1/venues/:slug/team',
    {
      schema: {
        tags: ['team'],
        summary: "A venue's team",
        description: 'Venue admins, or an API key with `team:read`.',
        security,
        params: Params,
        response: responses({ 200: Type.Object({ items: Type.Array(Member) }) }),
      },
    },
    async (request) => ({ items: (await listTeam(db, actorOf(request), request.params.slug)).map(present) }),
  );
  app.post(
    '/api/v1/venues/:slug/team',
    {
      schema: {
        tags: ['team'],
        summary: 'Give a role to a person (by e-mail; they get an invitation mail)',
        security: [{ session: [] }],
        params: Params,
        body: Type.Object({ email: Type.String({ maxLength: 254 }), role: Role }, { additionalProperties: false }),
        response: responses({ 201: Member }),
      },
    },
    async (request, reply) => {
      const member = await inviteMember(db, config, actorOf(request), { slug: request.params.slug, ...request.body });
      return reply.status(201).send(present(member));
    },
  );
  app.patch(
    '/api/v1/venues/:slug/team/:personId',
    {
      schema: {
        tags: ['team'],
        summary: "Change a member's role",
        security: [{ session: [] }],
        params: MemberParams,
        body: Type.Object({ role: Role }, { additionalProperties: false }),
        response: responses({ 204: Type.Null() }, [400, 401, 403, 404, 409, 422]),
      },
    },
    async (request, reply) => {
      await changeMemberRole(db, actorOf(request), { ...request.params, role: request.body.role });
      return reply.status(204).send();
    },
  );
  app.delete(
    '/api/v1/venues/:slug/team/:personId',
    {
      schema: {
        tags: ['team'],
        summary: 'Remove a member',
        security: [{ session: [] }],
        params: MemberParams,
        response: responses({ 204: Type.Null() }, [401, 403, 404, 409]),
      },
    },
    async (request, reply) => {
      await removeMember(db, actorOf(request), request.params);
      return reply.status(204).send();
    },
  );
}
