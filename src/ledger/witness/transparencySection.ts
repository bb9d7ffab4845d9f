import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { html, type Html } from '../../http/html.ts';
import { formatDateTime } from '../../i18n/i18n.ts';
import { listEvidence } from './evidence.ts';
import { listLogs } from './logs.ts';

/**
 * The witnessing part of /transparency (docs/FEDERATION.md, "Equivocation"): per currency, the latest
 * log checkpoint and which peers cosigned it and when; the peer logs this node witnesses; and any
 * evidence of equivocation it holds (downloadable as JSON at /ledger-witness/evidence).
 */
export async function witnessingSection(request: FastifyRequest, db: Db, config: Config): Promise<Html> {
  const { t, lang } = request.ctx;
  const when = (d: Date) => formatDateTime(lang, d, config.timeZone);
  const [logs, witnessed, evidence] = await Promise.all([
    listLogs(db, config.baseUrl),
    db
      .selectFrom('ledger_witness_logs')
      .select(['origin', 'size', 'cosigned_at', 'status'])
      .orderBy('origin')
      .execute(),
    listEvidence(db),
  ]);
  return html`<h2 id="witnessing">${t('ledger.witness.title')}</h2>
<p>${t('ledger.witness.intro')}</p>
${logs.length === 0 ? html`<p>${t('ledger.witness.noLogs')}</p>` : ''}
${logs.map(
  (l) => html`<article class="card">
<h3><span class="mono">${l.currencyCode}</span></h3>
<p>${t('ledger.witness.checkpoint', { size: l.size, when: when(l.signedAt) })}</p>
${
  l.cosignatures.length === 0
    ? html`<p>${t('ledger.witness.notCosigned')}</p>`
    : html`<ul>${l.cosignatures.map(
        (c) => html`<li>${t('ledger.witness.cosignedBy', { witness: c.witness, when: when(c.cosignedAt) })}</li>`,
      )}</ul>`
}
</article>`,
)}
${
  witnessed.length === 0
    ? ''
    : html`<h3>${t('ledger.witness.witnessedTitle')}</h3>
<div class="table-scroll"><table class="list">
<thead><tr><th scope="col">${t('ledger.witness.log')}</th><th scope="col">${t('ledger.witness.size')}</th><th scope="col">${t('ledger.witness.cosignedAt')}</th><th scope="col">${t('ledger.witness.status')}</th></tr></thead>
<tbody>${witnessed.map(
        (w) =>
          html`<tr><td class="mono">${w.origin}</td><td>${Number(w.size)}</td><td>${w.cosigned_at ? when(w.cosigned_at) : '—'}</td><td>${t(`ledger.witness.statuses.${w.status}`)}</td></tr>`,
      )}</tbody>
</table></div>`
}
${
  evidence.length === 0
    ? ''
    : html`<section class="ledger-evidence" aria-labelledby="ledger-evidence-title">
<h3 id="ledger-evidence-title">${t('ledger.witness.evidenceTitle')}</h3>
<p>${t('ledger.witness.evidenceIntro')}</p>
<ul>${evidence.map(
        (e) =>
          html`<li><strong>${t(`ledger.witness.kinds.${e.kind}`)}</strong> — <span class="mono">${e.origin}</span>, ${
            e.receivedFrom
              ? t('ledger.witness.evidenceReceived', { when: when(e.createdAt), from: e.receivedFrom })
              : t('ledger.witness.evidenceFound', { when: when(e.createdAt) })
          }</li>`,
      )}</ul>
<p><a href="/ledger-witness/evidence">${t('ledger.witness.evidenceDownload')}</a></p>
</section>`
}`;
}
