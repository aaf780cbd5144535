import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError, describe } from './api.js';
import { html } from './html.js';
import { ErrorBanner, errorsOf, Field, Notice } from './widgets.js';

/**
 * Dialplan contexts, their extensions in the order a lookup tries them (the server sorts them
 * by the static dialplan's precedence), every priority of an extension edited and replaced at
 * once, and the realtime switch's own answer to "who answers this number".
 */

interface Priority {
  priority: number;
  app: string;
  appdata: string;
}
interface Extension {
  exten: string;
  priorities: Priority[];
}
interface Context {
  context: string;
  extensions: Extension[];
}
interface Explanation {
  context: string;
  exten: string;
  priority: number;
  winner: { pattern: string; row: Record<string, string> } | null;
  candidates: { pattern: string; priority: number; result: number; literal: boolean }[];
}
interface Editing {
  isNew: boolean;
  exten: string;
  rows: { priority: string; app: string; appdata: string }[];
  etag: string | null;
  error: unknown;
}

export function DialplanScreen(props: { api: Api; scopes: string[] }) {
  const { api } = props;
  const canWrite = props.scopes.includes('write');
  const [contexts, setContexts] = useState<string[] | null>(null);
  const [selected, setSelected] = useState<string>('');
  const [data, setData] = useState<Context | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [reload, setReload] = useState(0);
  const [newContext, setNewContext] = useState('');

  useEffect(() => {
    api.get<{ contexts: string[] }>('/api/v1/dialplan').then(
      (r) => {
        setContexts(r.contexts);
        if (!selected && r.contexts.length > 0) setSelected(r.contexts[0]!);
      },
      setError,
    );
  }, [reload]);
  useEffect(() => {
    if (!selected) return setData(null);
    let live = true;
    api.get<Context>(Api.path('dialplan', selected)).then(
      (c) => { if (live) { setData(c); setError(null); } },
      (e) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setData({ context: selected, extensions: [] });
        else setError(e);
      },
    );
    return () => { live = false; };
  }, [selected, reload]);

  const edit = async (exten: string) => {
    setNotice(null);
    try {
      const a = await api.request<{ priorities: Priority[] }>('GET', Api.path('dialplan', selected, exten));
      setEditing({ isNew: false, exten, etag: a.etag, error: null, rows: a.body.priorities.map((p) => ({ priority: String(p.priority), app: p.app, appdata: p.appdata })) });
    } catch (e) {
      setError(e);
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const ed = editing;
    const priorities = ed.rows.map((r) => ({ ...(r.priority.trim() ? { priority: /^\d+$/.test(r.priority.trim()) ? Number(r.priority) : r.priority } : {}), app: r.app, appdata: r.appdata }));
    try {
      if (!ed.exten) throw new ApiError(422, { title: 'The extension needs a name', status: 422, errors: [{ field: 'path.exten', rule: 'required', message: 'an extension or a pattern such as _NXX' }] });
      await api.request('PUT', Api.path('dialplan', selected, ed.exten), { body: { priorities }, ifMatch: ed.etag });
      setEditing(null);
      setNotice(`${ed.exten}@${selected} saved.`);
      setReload((n) => n + 1);
    } catch (err) {
      setEditing({ ...ed, error: err });
    }
  };
  const remove = async (exten: string) => {
    if (!window.confirm(`Delete every priority of ${exten}@${selected}?`)) return;
    try {
      await api.request('DELETE', Api.path('dialplan', selected, exten));
      setNotice(`${exten}@${selected} deleted.`);
      setEditing(null);
      setReload((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  };

  const errs = errorsOf(editing?.error);
  const claimed = (f: string) => /^priorities\[\d+\]\.(priority|app|appdata)$/.test(f) || f === 'path.exten';
  const setRow = (i: number, k: 'priority' | 'app' | 'appdata', v: string) =>
    editing && setEditing({ ...editing, rows: editing.rows.map((r, j) => (j === i ? { ...r, [k]: v } : r)) });

  return html`<section aria-labelledby="dialplan-title">
    <div class="screen-head"><h1 id="dialplan-title">Dialplan</h1></div>
    <${Notice} text=${notice} />
    <${ErrorBanner} error=${error} />
    <${Explain} contexts=${contexts ?? []} context=${selected} />
    <div class="toolbar">
      <label for="dialplan-context">Context</label>
      <select id="dialplan-context" value=${selected} onChange=${(e: Event) => { setEditing(null); setSelected((e.currentTarget as HTMLSelectElement).value); }}>
        ${(contexts ?? []).map((c) => html`<option value=${c}>${c}</option>`)}
        ${selected && contexts && !contexts.includes(selected) ? html`<option value=${selected}>${selected} (new)</option>` : null}
      </select>
      ${canWrite ? html`<form class="inline" onSubmit=${(e: Event) => { e.preventDefault(); if (newContext.trim()) { setSelected(newContext.trim()); setNewContext(''); setEditing({ isNew: true, exten: '', rows: [{ priority: '1', app: '', appdata: '' }], etag: null, error: null }); } }}>
        <label for="dialplan-new-context">New context</label>
        <input id="dialplan-new-context" value=${newContext} onInput=${(e: Event) => setNewContext((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Open</button>
      </form>` : null}
      ${canWrite && selected ? html`<button type="button" class="primary" onClick=${() => { setNotice(null); setEditing({ isNew: true, exten: '', rows: [{ priority: '1', app: '', appdata: '' }], etag: null, error: null }); }}>New extension</button>` : null}
    </div>
    ${editing ? html`<form class="card" onSubmit=${save} aria-labelledby="exten-form-title" novalidate>
      <h2 id="exten-form-title">${editing.isNew ? `New extension in ${selected}` : `${editing.exten}@${selected}`}</h2>
      <${ErrorBanner} error=${editing.error} claimed=${claimed} />
      ${editing.isNew ? html`<${Field} id="exten-name" label="Extension or pattern" value=${editing.exten} errors=${errs('path.exten')}
        hint="A number (1001) or a pattern (_NXXXXXX)" onInput=${(v: string) => setEditing({ ...editing, exten: v })} />` : null}
      <div class="table-wrap">
      <table class="data priorities">
        <caption class="sr-only">Priorities</caption>
        <thead><tr><th scope="col">Priority</th><th scope="col">Application</th><th scope="col">Data</th><th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
        <tbody>${editing.rows.map((r, i) => html`<tr>
          ${(['priority', 'app', 'appdata'] as const).map((k) => {
            const e = errs(`priorities[${i}].${k}`);
            const label = `${k === 'priority' ? 'Priority' : k === 'app' ? 'Application' : 'Data'} of row ${i + 1}`;
            return html`<td class=${e.length ? 'invalid' : ''}><input aria-label=${label} id=${`prio-${i}-${k}`} value=${r[k]}
              class=${k === 'priority' ? 'narrow' : ''} aria-invalid=${e.length ? 'true' : undefined} aria-describedby=${e.length ? `prio-${i}-${k}-error` : undefined}
              onInput=${(ev: Event) => setRow(i, k, (ev.currentTarget as HTMLInputElement).value)} />
              ${e.length ? html`<p class="field-error" id=${`prio-${i}-${k}-error`} role="alert">${e.map((x) => x.message).join('; ')}</p>` : null}</td>`;
          })}
          <td><button type="button" class="small" aria-label=${`Remove row ${i + 1}`} disabled=${editing.rows.length <= 1}
            onClick=${() => setEditing({ ...editing, rows: editing.rows.filter((_, j) => j !== i) })}>Remove</button></td>
        </tr>`)}</tbody>
      </table>
      </div>
      <div class="actions">
        <button type="button" onClick=${() => setEditing({ ...editing, rows: [...editing.rows, { priority: String(Math.max(0, ...editing.rows.map((r) => Number(r.priority) || 0)) + 1), app: '', appdata: '' }] })}>Add priority</button>
        <button type="submit" class="primary">Save extension</button>
        <button type="button" onClick=${() => setEditing(null)}>Cancel</button>
      </div>
    </form>` : null}
    ${data ? html`<div class="table-wrap" tabIndex="0" role="region" aria-label=${`Extensions of ${data.context}, in the order a lookup tries them`}>
      <table class="data">
        <thead><tr><th scope="col">Order</th><th scope="col">Extension</th><th scope="col">Priorities</th>${canWrite ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
        <tbody>${data.extensions.map((x, i) => html`<tr key=${x.exten} data-exten=${x.exten}>
          <td>${i + 1}</td>
          <th scope="row"><code>${x.exten}</code></th>
          <td><ol class="prio-list">${x.priorities.map((p) => html`<li><span class="prio">${p.priority}</span> <code>${p.app}(${p.appdata})</code></li>`)}</ol></td>
          ${canWrite ? html`<td class="row-actions">
            <button type="button" class="small" aria-label=${`Edit ${x.exten}`} onClick=${() => edit(x.exten)}>Edit</button>
            <button type="button" class="small danger" aria-label=${`Delete ${x.exten}`} onClick=${() => remove(x.exten)}>Delete</button>
          </td>` : null}
        </tr>`)}</tbody>
      </table>
      ${data.extensions.length === 0 ? html`<p class="empty">No extensions in ${data.context}.</p>` : null}
    </div>` : contexts && contexts.length === 0 ? html`<p class="empty">No dialplan contexts yet.</p>` : null}
  </section>`;
}

/** "Who answers this number": the realtime switch's explain, the winner and what it beat. */
function Explain(props: { contexts: string[]; context: string }) {
  const [context, setContext] = useState(props.context);
  const [number, setNumber] = useState('');
  const [result, setResult] = useState<Explanation | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => { if (!context && props.context) setContext(props.context); }, [props.context]);

  const ask = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    if (!context.trim() || !number.trim()) return setError('Give a context and a number.');
    try {
      // The switch endpoint sits beside the API, with the Asterisk surface's access rules.
      const res = await fetch(`/switch/${encodeURIComponent(context.trim())}/${encodeURIComponent(number.trim())}`, { cache: 'no-store' });
      const body = await res.text();
      if (!res.ok) {
        let title = `HTTP ${res.status}`;
        try { title = (JSON.parse(body) as { title?: string }).title ?? title; } catch { /* not JSON */ }
        return setError(res.status === 401 || res.status === 403 ? `The switch endpoint refused this browser (${title}); it follows the Asterisk surface's access rules.` : title);
      }
      setResult(JSON.parse(body) as Explanation);
    } catch (err) {
      setError(describe(err));
    }
  };
  const win = result?.winner;
  // The switch lists each matching row (one per priority); people think in extensions.
  const patterns: { pattern: string; early: boolean }[] = [];
  for (const c of result?.candidates ?? []) {
    const seen = patterns.find((p) => p.pattern === c.pattern);
    if (seen) seen.early ||= c.result === 2;
    else patterns.push({ pattern: c.pattern, early: c.result === 2 });
  }
  return html`<form class="card explain" onSubmit=${ask} aria-labelledby="explain-title">
    <h2 id="explain-title">Who answers this number?</h2>
    <div class="grid">
      <div class="field"><label for="explain-context">Context</label>
        <input id="explain-context" list="explain-contexts" value=${context} onInput=${(e: Event) => setContext((e.currentTarget as HTMLInputElement).value)} />
        <datalist id="explain-contexts">${props.contexts.map((c) => html`<option value=${c} />`)}</datalist></div>
      <div class="field"><label for="explain-number">Number dialled</label>
        <input id="explain-number" inputMode="tel" value=${number} onInput=${(e: Event) => setNumber((e.currentTarget as HTMLInputElement).value)} /></div>
    </div>
    <div class="actions"><button type="submit" class="primary">Explain</button></div>
    ${error ? html`<div class="banner error" role="alert">${error}</div>` : null}
    ${result ? html`<div class="explain-result" role="status" aria-live="polite">
      ${win ? html`<p class="winner"><strong>Winner:</strong> <code data-testid="winner">${win.pattern}</code> in ${result.context},
        priority ${result.priority}: <code>${win.row.app ?? ''}(${win.row.appdata ?? ''})</code></p>`
        : html`<p class="winner"><strong>No extension answers ${result.exten} in ${result.context}.</strong></p>`}
      ${patterns.length > 0 ? html`<p>Candidates in precedence order:</p>
        <ol class="candidates">${patterns.map((c) => html`<li class=${win && c.pattern === win.pattern ? 'won' : 'beaten'}>
          <code>${c.pattern}</code> ${win && c.pattern === win.pattern ? '— wins' : '— beaten'}${c.early ? ' (early match)' : ''}</li>`)}</ol>` : null}
    </div>` : null}
  </form>`;
}
