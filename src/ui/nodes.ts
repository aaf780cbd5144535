import { useEffect, useState } from 'preact/hooks';
import { Api } from './api.js';
import { html } from './html.js';
import { ErrorBanner, Notice } from './widgets.js';

/**
 * The Asterisk nodes kept in step by push (`GET /api/v1/nodes`): state, lag, last error, the
 * objects a node refused, and a full resync on request. The console shows this screen only
 * when the server answers for /api/v1/nodes.
 */

export interface NodeStatus {
  name: string;
  url: string;
  mode: string;
  wizard: string;
  state: string;
  connected: boolean;
  lag: number;
  last_delivered_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  last_resync: { at: string; objects: number; pushed: number; ms: number } | null;
  objects_sent: number;
  failed: { type: string; id: string; message: string; at: string }[];
}

const when = (t: string | null | undefined) => (t ? new Date(t).toLocaleString() : '—');

export function NodesScreen(props: { api: Api; scopes: string[] }) {
  const { api } = props;
  const canWrite = props.scopes.includes('write');
  const [nodes, setNodes] = useState<NodeStatus[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    api.get<{ items: NodeStatus[] }>('/api/v1/nodes').then((r) => { setNodes(r.items); setError(null); }, setError);
  }, [tick]);

  const resync = async (name: string) => {
    if (!window.confirm(`Push the whole configuration to ${name} again?`)) return;
    try {
      await api.request('POST', `${Api.path('nodes', name)}/resync`);
      setNotice(`Resync of ${name} started.`);
      setTick((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  };

  return html`<section aria-labelledby="nodes-title">
    <div class="screen-head"><h1 id="nodes-title">Nodes</h1><button type="button" onClick=${() => setTick(tick + 1)}>Refresh</button></div>
    <${Notice} text=${notice} />
    <${ErrorBanner} error=${error} />
    ${nodes && nodes.length === 0 ? html`<p class="empty">No nodes in [nodes].</p>` : null}
    ${nodes && nodes.length > 0 ? html`<div class="table-wrap" role="region" tabIndex="0" aria-label="Asterisk nodes"><table class="data">
      <thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Lag</th><th scope="col">Last delivered</th>
        <th scope="col">Last error</th><th scope="col">Last resync</th><th scope="col">Refused</th>${canWrite ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
      <tbody>${nodes.map((n) => html`<tr data-node=${n.name}>
        <th scope="row">${n.name}<br /><span class="hint">${n.mode} · ${n.wizard}</span></th>
        <td class=${n.connected ? 'good' : 'bad'}>${n.state}</td>
        <td>${n.lag.toLocaleString('en')}</td>
        <td>${when(n.last_delivered_at)}</td>
        <td>${n.last_error ? html`${n.last_error}<br /><span class="hint">${when(n.last_error_at)}</span>` : '—'}</td>
        <td>${n.last_resync ? `${when(n.last_resync.at)} (${n.last_resync.pushed}/${n.last_resync.objects} in ${n.last_resync.ms} ms)` : '—'}</td>
        <td>${n.failed.length > 0 ? html`<details><summary>${n.failed.length}</summary><ul>${n.failed.map((f) => html`<li><code>${f.type}/${f.id}</code>: ${f.message}</li>`)}</ul></details>` : '0'}</td>
        ${canWrite ? html`<td class="row-actions"><button type="button" class="small" aria-label=${`Resync ${n.name}`} onClick=${() => resync(n.name)}>Resync</button></td>` : null}
      </tr>`)}</tbody>
    </table></div>` : null}
  </section>`;
}
