import { useEffect, useState } from 'preact/hooks';
import { Api } from './api.js';
import { html } from './html.js';
import { ErrorBanner } from './widgets.js';

/**
 * Health: whether the server answers, the families it maps and where, the readiness of its
 * stores and a summary of its metrics where the server offers /readyz and /metrics; where it
 * does not, the screen says so instead of guessing.
 */

interface Family {
  family: string;
  mapped_as: string;
  key: string | null;
}
type Probe<T> = { state: 'loading' } | { state: 'unavailable'; why: string } | { state: 'ok'; status: number; body: T };

async function probe<T>(path: string, parse: (text: string) => T): Promise<Probe<T>> {
  try {
    const res = await fetch(path, { cache: 'no-store' });
    if (res.status === 404) return { state: 'unavailable', why: 'this server does not offer it' };
    if (res.status === 401 || res.status === 403) return { state: 'unavailable', why: `refused (${res.status}): it follows the Asterisk surface's access rules` };
    return { state: 'ok', status: res.status, body: parse(await res.text()) };
  } catch (e) {
    return { state: 'unavailable', why: e instanceof Error ? e.message : String(e) };
  }
}

/** Prometheus text: sample lines summed by metric name, only ara's own and the process's. */
export function metricsSummary(text: string): { name: string; help: string; value: number }[] {
  const help = new Map<string, string>();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, ...rest] = line.split(' ').slice(1);
      if (name) help.set(name, rest.join(' '));
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1]!.endsWith('_bucket')) continue;
    const v = Number(m[2]);
    if (!Number.isFinite(v)) continue;
    sums.set(m[1]!, (sums.get(m[1]!) ?? 0) + v);
  }
  const base = (n: string) => n.replace(/_(sum|count|total)$/, '');
  return [...sums.entries()]
    .filter(([n]) => n.startsWith('ara_') || n === 'process_resident_memory_bytes' || n === 'process_cpu_seconds_total')
    .map(([name, value]) => ({ name, value, help: help.get(name) ?? help.get(base(name)) ?? '' }));
}

export function HealthScreen(props: { api: Api }) {
  const [live, setLive] = useState<Probe<unknown>>({ state: 'loading' });
  const [ready, setReady] = useState<Probe<unknown>>({ state: 'loading' });
  const [metrics, setMetrics] = useState<Probe<ReturnType<typeof metricsSummary>>>({ state: 'loading' });
  const [families, setFamilies] = useState<Family[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    void probe('/healthz', (t) => JSON.parse(t) as unknown).then(async (p) => setLive(p.state === 'ok' ? p : await probe('/health', (t) => JSON.parse(t) as unknown)));
    void probe('/readyz', (t) => { try { return JSON.parse(t) as unknown; } catch { return t; } }).then(setReady);
    void probe('/metrics', metricsSummary).then(setMetrics);
    props.api.get<{ families: Family[] }>('/api/v1/families').then((r) => setFamilies(r.families), setError);
  }, [tick]);

  const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en') : v.toFixed(3));
  return html`<section aria-labelledby="health-title">
    <div class="screen-head"><h1 id="health-title">Health</h1><button type="button" onClick=${() => setTick(tick + 1)}>Refresh</button></div>
    <${ErrorBanner} error=${error} />
    <div class="cards">
      <div class="card"><h2>Server</h2>
        ${live.state === 'ok' ? html`<p class=${live.status < 400 ? 'good' : 'bad'}>${live.status < 400 ? 'Answering' : `Answering ${live.status}`}</p>`
          : live.state === 'loading' ? html`<p>Checking…</p>` : html`<p class="bad">Not answering: ${live.why}</p>`}</div>
      <div class="card"><h2>Stores (readiness)</h2>
        ${ready.state === 'ok' ? html`<p class=${ready.status < 400 ? 'good' : 'bad'}>${ready.status < 400 ? 'Every family has a working store' : 'A family has no working store'}</p>
            <pre class="conf small">${typeof ready.body === 'string' ? ready.body : JSON.stringify(ready.body, null, 2)}</pre>`
          : ready.state === 'loading' ? html`<p>Checking…</p>` : html`<p class="muted">Readiness is unavailable: ${ready.why}.</p>`}</div>
    </div>
    <h2>Metrics</h2>
    ${metrics.state === 'ok' ? html`<div class="table-wrap" role="region" tabIndex="0" aria-label="Metrics summary"><table class="data">
        <thead><tr><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Meaning</th></tr></thead>
        <tbody>${metrics.body.map((m) => html`<tr><th scope="row"><code>${m.name}</code></th><td>${fmt(m.value)}</td><td>${m.help}</td></tr>`)}</tbody>
      </table></div>`
      : metrics.state === 'loading' ? html`<p>Loading…</p>` : html`<p class="muted">Metrics are unavailable: ${metrics.why}.</p>`}
    <h2>Families and where they are kept</h2>
    ${families ? html`<div class="table-wrap" role="region" tabIndex="0" aria-label="Families"><table class="data">
      <thead><tr><th scope="col">Family</th><th scope="col">Table</th><th scope="col">Key</th></tr></thead>
      <tbody>${families.map((f) => html`<tr><th scope="row">${f.family}</th><td><code>${f.mapped_as}</code></td><td>${f.key ?? '—'}</td></tr>`)}</tbody>
    </table></div>` : null}
  </section>`;
}
