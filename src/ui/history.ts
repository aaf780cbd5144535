import { useEffect, useRef, useState } from 'preact/hooks';
import { Api, ApiError, describe } from './api.js';
import type { Change, Version, VersionDetail as Detail } from '../history/wire.js';
import { html } from './html.js';
import { ErrorBanner, Notice } from './widgets.js';

/**
 * The configuration's versions (`GET /api/v1/history`): newest first, a page at a time from the
 * server (`before` = the oldest id shown), filtered by family or key; one version's changes as
 * a before/after table per row with the changed fields marked (secrets come masked from the
 * server); and, for a token with the write scope, rollback after an explicit confirm step,
 * with a forced rollback offered when a later version touched the same rows. The console
 * shows this screen only when the server answers for /api/v1/history.
 */

const PAGE = 25;
const when = (t: string) => new Date(t).toLocaleString();

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The fields of a before/after pair: each with both values and whether it changed. */
function fields(before: unknown, after: unknown): { name: string; before: unknown; after: unknown; changed: boolean }[] {
  const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const b = obj(before);
  const a = obj(after);
  if (!b && !a) return [{ name: 'value', before, after, changed: JSON.stringify(before) !== JSON.stringify(after) }];
  const names = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])];
  return names.map((name) => {
    const bv = b ? b[name] : undefined;
    const av = a ? a[name] : undefined;
    return { name, before: bv, after: av, changed: JSON.stringify(bv ?? null) !== JSON.stringify(av ?? null) };
  });
}

function ChangeTable(props: { change: Change }) {
  const c = props.change;
  const rows = fields(c.before, c.after);
  const changedOnly = rows.filter((r) => r.changed);
  const same = rows.length - changedOnly.length;
  return html`<div class="table-wrap" role="region" tabIndex="0" aria-label=${`${c.operation} ${c.family} ${c.key}`}>
    <table class="data diff" data-change=${`${c.family}/${c.key}`}>
      <caption>${c.family} · ${c.key} <span class="muted">(${c.operation})</span></caption>
      <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr class=${r.changed ? 'changed' : 'same'} data-field=${r.name}>
        <th scope="row">${r.name}${r.changed ? html`<span class="sr-only"> (changed)</span>` : null}</th>
        <td class="before"><code>${show(r.before)}</code></td>
        <td class="after"><code>${show(r.after)}</code></td>
      </tr>`)}</tbody>
    </table>
    ${same > 0 ? html`<p class="hint diff-legend">${changedOnly.length} field(s) changed, ${same} unchanged.</p>` : null}
  </div>`;
}

export function HistoryScreen(props: { api: Api; scopes: string[] }) {
  const { api } = props;
  const canWrite = props.scopes.includes('write');
  const [filter, setFilter] = useState({ family: '', key: '' });
  const [typed, setTyped] = useState({ family: '', key: '' });
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const [items, setItems] = useState<Version[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [detailError, setDetailError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<null | { force: boolean }>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);
  const detailHeading = useRef<HTMLHeadingElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);

  const cursor = cursors[cursors.length - 1] ?? null;
  useEffect(() => {
    let live = true;
    // one more than a page: whether there is a next page
    const q = new URLSearchParams({ limit: String(PAGE + 1) });
    if (filter.family) q.set('family', filter.family);
    if (filter.key) q.set('key', filter.key);
    if (cursor !== null) q.set('before', String(cursor));
    api.get<{ items: Version[] }>(`/api/v1/history?${q}`).then(
      (r) => { if (live) { setItems(r.items); setError(null); } },
      (e) => { if (live) setError(e); },
    );
    return () => { live = false; };
  }, [filter, cursor, reload]);

  useEffect(() => {
    if (selected === null) { setDetail(null); return; }
    let live = true;
    setDetail(null);
    setDetailError(null);
    api.get<Detail>(Api.path('history', String(selected))).then(
      (d) => { if (live) { setDetail(d); detailHeading.current?.focus(); } },
      (e) => { if (live) setDetailError(e); },
    );
    return () => { live = false; };
  }, [selected]);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const open = (id: number) => {
    setNotice(null);
    setConfirming(null);
    setRefusal(null);
    setSelected(id);
  };

  const rollback = async (force: boolean) => {
    if (selected === null) return;
    setBusy(true);
    try {
      const path = `${Api.path('history', String(selected), 'rollback')}${force ? '?force=true' : ''}`;
      const r = await api.request<{ version: number | null; rollback_of: number; restored: number }>('POST', path);
      setConfirming(null);
      setRefusal(null);
      setNotice(r.body.version === null
        ? `Version ${selected} rolled back: nothing to restore.`
        : `Version ${selected} rolled back as version ${r.body.version} (${r.body.restored} row(s) restored).`);
      setCursors([null]);
      setReload((n) => n + 1);
      if (r.body.version !== null) setSelected(r.body.version);
    } catch (e) {
      setConfirming(null);
      if (e instanceof ApiError && e.status === 409) setRefusal(describe(e));
      else setDetailError(e);
    } finally {
      setBusy(false);
    }
  };

  const page = items ? items.slice(0, PAGE) : null;
  const hasNext = items !== null && items.length > PAGE;
  const applyFilter = (e: Event) => {
    e.preventDefault();
    setFilter({ family: typed.family.trim(), key: typed.key.trim() });
    setCursors([null]);
  };

  return html`<section aria-labelledby="history-title">
    <div class="screen-head"><h1 id="history-title">History</h1><button type="button" onClick=${() => setReload(reload + 1)}>Refresh</button></div>
    <${Notice} text=${notice} />
    <${ErrorBanner} error=${error} />
    <form class="toolbar" role="search" aria-label="Filter versions" onSubmit=${applyFilter}>
      <label for="history-family">Family</label>
      <input id="history-family" type="search" placeholder="e.g. ps_endpoints" value=${typed.family}
        onInput=${(e: Event) => setTyped({ ...typed, family: (e.currentTarget as HTMLInputElement).value })} />
      <label for="history-key">Key</label>
      <input id="history-key" type="search" placeholder="e.g. 1001" value=${typed.key}
        onInput=${(e: Event) => setTyped({ ...typed, key: (e.currentTarget as HTMLInputElement).value })} />
      <button type="submit">Filter</button>
    </form>
    ${page && page.length === 0 ? html`<p class="empty">No versions${filter.family || filter.key ? ' match this filter' : ' yet'}.</p>` : null}
    ${page && page.length > 0 ? html`<div class="table-wrap" role="region" tabIndex="0" aria-label="Versions, newest first"><table class="data">
      <thead><tr><th scope="col">Version</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Changes</th></tr></thead>
      <tbody>${page.map((v) => html`<tr data-version=${v.id} aria-selected=${selected === v.id ? 'true' : undefined}>
        <th scope="row"><button type="button" class="small" aria-label=${`Show version ${v.id}`} aria-pressed=${selected === v.id ? 'true' : 'false'} onClick=${() => open(v.id)}>${v.id}</button></th>
        <td>${when(v.at)}</td>
        <td>${v.actor}${v.source !== 'api' ? html` <span class="hint">(${v.source}${v.rollback_of !== null ? ` of ${v.rollback_of}` : ''})</span>` : null}</td>
        <td>${v.families.join(', ')}</td>
        <td>${v.changes}</td>
      </tr>`)}</tbody>
    </table></div>
    <div class="pager">
      <button type="button" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
      <span class="muted">Page ${cursors.length}</span>
      <button type="button" disabled=${!hasNext} onClick=${() => setCursors([...cursors, page[page.length - 1]!.id])}>Older</button>
    </div>` : null}

    ${selected !== null ? html`<section class="card version-detail" aria-labelledby="version-title">
      <h2 id="version-title" tabIndex="-1" ref=${detailHeading}>Version ${selected}</h2>
      <${ErrorBanner} error=${detailError} />
      ${detail ? html`
        <p class="muted">${when(detail.version.at)} · ${detail.version.actor} · ${detail.version.changes} change(s)</p>
        ${detail.changes.map((c) => html`<${ChangeTable} change=${c} />`)}
        ${refusal ? html`<div class="banner error" role="alert" id="rollback-refused">
          <strong>Rollback refused:</strong> ${refusal}
          <div class="actions"><button type="button" class="danger" onClick=${() => setConfirming({ force: true })}>Force rollback…</button></div>
        </div>` : null}
        ${canWrite && !confirming && !refusal ? html`<div class="actions"><button type="button" class="danger" onClick=${() => setConfirming({ force: false })}>Roll back…</button></div>` : null}
        ${canWrite && confirming ? html`<div class="banner error confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
          <strong id="confirm-title">${confirming.force ? 'Force the rollback?' : 'Roll back this version?'}</strong>
          <p id="confirm-text">The ${detail.changes.length} row(s) version ${selected} changed go back to their state before it, as a new version.
            ${confirming.force ? ' Later changes to the same rows are overwritten too.' : ''}</p>
          <div class="actions">
            <button type="button" class="primary" ref=${confirmButton} disabled=${busy} onClick=${() => rollback(confirming.force)}>${confirming.force ? 'Yes, force the rollback' : 'Yes, roll back'}</button>
            <button type="button" onClick=${() => setConfirming(null)}>Cancel</button>
          </div>
        </div>` : null}
      ` : detailError ? null : html`<p role="status">Loading…</p>`}
    </section>` : null}
  </section>`;
}
