import { useEffect, useRef, useState } from 'preact/hooks';
import { Api } from './api.js';
import { html } from './html.js';
import { ErrorBanner, errorsOf, Field, Notice } from './widgets.js';

/**
 * PJSIP lines: a page at a time from the server (keyset cursors), searched by id on the
 * server, so 10,000 lines cost what 50 do. Secrets are asked for only with the secrets scope,
 * and even then shown masked until revealed.
 */

type Json = Record<string, unknown>;
interface Line {
  id: string;
  endpoint: Json;
  aor: Json | null;
  auth: Json | null;
}
interface Page {
  items: Line[];
  next_cursor: string | null;
}

const PAGE = 50;

/** The columns the form edits: part, column, label. */
const FIELDS = [
  ['endpoint', 'context', 'Context'],
  ['endpoint', 'transport', 'Transport'],
  ['endpoint', 'allow', 'Codecs allowed'],
  ['endpoint', 'disallow', 'Codecs disallowed'],
  ['endpoint', 'callerid', 'Caller ID'],
  ['auth', 'username', 'Auth username'],
  ['auth', 'password', 'Password'],
  ['aor', 'max_contacts', 'Max contacts'],
] as const;
type Part = (typeof FIELDS)[number][0];
const key = (part: string, col: string) => `${part}.${col}`;
const SECRET = new Set(['auth.password', 'auth.md5_cred']);

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join(',') : String(v);
}

function valuesOf(line: Line | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [part, col] of FIELDS) out[key(part, col)] = line ? text(line[part]?.[col]) : '';
  return out;
}

/** A number column typed as a number; anything else as typed, for the server to judge. */
function value(k: string, v: string): unknown {
  return k === 'aor.max_contacts' && /^\d+$/.test(v) ? Number(v) : v;
}

interface Editing {
  mode: 'create' | 'edit';
  id: string;
  original: Record<string, string>;
  values: Record<string, string>;
  etag: string | null;
  error: unknown;
  saving: boolean;
}

export function LinesScreen(props: { api: Api; scopes: string[] }) {
  const { api } = props;
  const canWrite = props.scopes.includes('write');
  const canSecrets = props.scopes.includes('secrets');
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [reveal, setReveal] = useState(false);
  const [reload, setReload] = useState(0);
  const formHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const wanted = search.trim();
    // Only a new search starts again from page 1: on the first render nothing was typed, and
    // going back to page 1 then would undo a "Next page" clicked within the debounce.
    if (wanted === query) return;
    const t = setTimeout(() => {
      setQuery(wanted);
      setCursors([null]);
    }, 250);
    return () => clearTimeout(t);
  }, [search]);

  const cursor = cursors[cursors.length - 1] ?? null;
  useEffect(() => {
    let live = true;
    const q = new URLSearchParams({ limit: String(PAGE), sort: 'id' });
    if (query) q.set('id[like]', `%${query.replace(/[\\%_]/g, '\\$&')}%`);
    if (cursor) q.set('cursor', cursor);
    api.get<Page>(`/api/v1/pjsip/lines?${q}`).then(
      (p) => { if (live) { setPage(p); setError(null); } },
      (e) => { if (live) setError(e); },
    );
    return () => { live = false; };
  }, [query, cursor, reload]);

  // Focus moves to the form when it opens, not while it is typed in.
  const [opened, setOpened] = useState(0);
  useEffect(() => {
    if (opened > 0) formHeading.current?.focus();
  }, [opened]);

  const startCreate = () => {
    setNotice(null);
    setReveal(false);
    setEditing({ mode: 'create', id: '', original: valuesOf(null), values: valuesOf(null), etag: null, error: null, saving: false });
    setOpened((n) => n + 1);
  };
  const startEdit = async (id: string) => {
    setNotice(null);
    setReveal(false);
    try {
      const a = await api.request<Line>('GET', `${Api.path('pjsip', 'lines', id)}${canSecrets ? '?secrets=true' : ''}`);
      const v = valuesOf(a.body);
      setEditing({ mode: 'edit', id, original: v, values: { ...v }, etag: a.etag, error: null, saving: false });
      setOpened((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  };
  const remove = async (id: string) => {
    if (!window.confirm(`Delete line ${id} (endpoint, AOR, auth and identify)?`)) return;
    try {
      await api.request('DELETE', Api.path('pjsip', 'lines', id));
      setNotice(`Line ${id} deleted.`);
      if (editing?.id === id) setEditing(null);
      setReload((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const ed = editing;
    setEditing({ ...ed, saving: true });
    const parts: Record<Part, Json> = { endpoint: {}, auth: {}, aor: {} };
    for (const [part, col] of FIELDS) {
      const k = key(part, col);
      const v = ed.values[k] ?? '';
      if (ed.mode === 'create') {
        if (v !== '') parts[part][col] = value(k, v);
      } else if (v !== ed.original[k]) {
        // A secret left empty is kept: the server never sent it to a token without secrets.
        if (SECRET.has(k) && v === '') continue;
        parts[part][col] = v === '' ? null : value(k, v);
      }
    }
    try {
      if (ed.mode === 'create') {
        await api.request('POST', '/api/v1/pjsip/lines', { body: { id: ed.id, ...parts } });
      } else {
        const body = Object.fromEntries(Object.entries(parts).filter(([, v]) => Object.keys(v).length > 0));
        await api.request('PATCH', `${Api.path('pjsip', 'lines', ed.id)}${canSecrets ? '?secrets=true' : ''}`, { body, ifMatch: ed.etag });
      }
      setEditing(null);
      setNotice(`Line ${ed.id} ${ed.mode === 'create' ? 'created' : 'saved'}.`);
      setReload((n) => n + 1);
    } catch (err) {
      setEditing({ ...ed, saving: false, error: err });
    }
  };

  const fieldErrors = errorsOf(editing?.error);
  const claimed = (f: string) => f === 'id' || FIELDS.some(([p, c]) => key(p, c) === f);
  const items = page?.items ?? [];
  return html`<section aria-labelledby="lines-title">
    <div class="screen-head">
      <h1 id="lines-title">Lines</h1>
      ${canWrite ? html`<button type="button" class="primary" onClick=${startCreate}>New line</button>` : null}
    </div>
    <${Notice} text=${notice} />
    <${ErrorBanner} error=${error} />
    ${editing ? html`<form class="card" onSubmit=${save} aria-labelledby="line-form-title" novalidate>
      <h2 id="line-form-title" tabIndex="-1" ref=${formHeading}>${editing.mode === 'create' ? 'New line' : `Line ${editing.id}`}</h2>
      <${ErrorBanner} error=${editing.error} claimed=${claimed} />
      <div class="grid">
        ${editing.mode === 'create' ? html`<${Field} id="line-id" label="Line id" value=${editing.id} errors=${fieldErrors('id')}
          hint="Names the endpoint, its AOR and its auth" onInput=${(v: string) => setEditing({ ...editing, id: v })} />` : null}
        ${FIELDS.map(([part, col, label]) => {
          const k = key(part, col);
          const secret = SECRET.has(k);
          const id = `line-${part}-${col}`;
          return html`<${Field} id=${id} label=${label} value=${editing.values[k] ?? ''} errors=${fieldErrors(k)}
            type=${secret && !reveal ? 'password' : 'text'} autocomplete=${secret ? 'new-password' : 'off'}
            hint=${secret && editing.mode === 'edit' && !canSecrets ? 'Write-only: leave empty to keep the current one' : undefined}
            onInput=${(v: string) => setEditing({ ...editing, values: { ...editing.values, [k]: v } })}>
            ${secret && canSecrets ? html`<button type="button" class="small" aria-pressed=${reveal} aria-controls=${id}
              onClick=${() => setReveal(!reveal)}>${reveal ? 'Hide' : 'Show'}</button>` : null}
          </${Field}>`;
        })}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled=${editing.saving}>${editing.mode === 'create' ? 'Create line' : 'Save line'}</button>
        <button type="button" onClick=${() => setEditing(null)}>Cancel</button>
      </div>
    </form>` : null}
    <div class="toolbar">
      <label for="line-search">Search lines by id</label>
      <input id="line-search" type="search" value=${search} placeholder="e.g. 1001"
        onInput=${(e: Event) => setSearch((e.currentTarget as HTMLInputElement).value)} />
    </div>
    <div class="table-wrap" tabIndex="0" role="region" aria-label="PJSIP lines">
      <table class="data">
        <thead><tr><th scope="col">Id</th><th scope="col">Context</th><th scope="col">Transport</th><th scope="col">Codecs</th>
          <th scope="col">Auth</th><th scope="col">Max contacts</th>${canWrite ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
        <tbody>
          ${items.map((l) => html`<tr key=${l.id} data-line=${l.id}>
            <th scope="row">${l.id}</th>
            <td>${text(l.endpoint.context)}</td>
            <td>${text(l.endpoint.transport)}</td>
            <td>${text(l.endpoint.allow)}</td>
            <td>${l.auth ? `${text(l.auth.username)} (${text(l.auth.auth_type) || 'userpass'})` : '—'}</td>
            <td>${text(l.aor?.max_contacts)}</td>
            ${canWrite ? html`<td class="row-actions">
              <button type="button" class="small" onClick=${() => startEdit(l.id)} aria-label=${`Edit line ${l.id}`}>Edit</button>
              <button type="button" class="small danger" onClick=${() => remove(l.id)} aria-label=${`Delete line ${l.id}`}>Delete</button>
            </td>` : null}
          </tr>`)}
        </tbody>
      </table>
      ${page && items.length === 0 ? html`<p class="empty">${query ? `No line id contains “${query}”.` : 'No lines yet.'}</p>` : null}
    </div>
    <nav class="pager" aria-label="Pages of lines">
      <button type="button" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
      <span aria-live="polite">Page ${cursors.length}${items.length > 0 ? ` · ${items[0]!.id} – ${items[items.length - 1]!.id}` : ''}</span>
      <button type="button" disabled=${!page?.next_cursor} onClick=${() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}>Next page</button>
    </nav>
  </section>`;
}
