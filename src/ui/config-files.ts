import { useEffect, useState } from 'preact/hooks';
import { Api } from './api.js';
import { html } from './html.js';
import { ErrorBanner } from './widgets.js';

/**
 * Static config files: categories and variables as Asterisk receives them, the same file as
 * `.conf` text, and a download of that text. The download is fetched with the token and handed
 * to the browser as a blob, so the token never appears in a link.
 */

interface ConfigFile {
  file: string;
  categories: { name: string; variables: { name: string; value: string }[] }[];
  hidden_secrets?: number;
}

export function ConfigFilesScreen(props: { api: Api; scopes: string[] }) {
  const { api } = props;
  const secrets = props.scopes.includes('secrets') ? '?secrets=true' : '';
  const [files, setFiles] = useState<string[] | null>(null);
  const [selected, setSelected] = useState('');
  const [file, setFile] = useState<ConfigFile | null>(null);
  const [raw, setRaw] = useState<string | null>(null);
  const [view, setView] = useState<'table' | 'raw'>('table');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.get<{ files: string[] }>('/api/v1/config-files').then((r) => {
      setFiles(r.files);
      if (r.files.length > 0) setSelected(r.files[0]!);
    }, setError);
  }, []);
  useEffect(() => {
    if (!selected) return;
    let live = true;
    setRaw(null);
    api.get<ConfigFile>(`${Api.path('config-files', selected)}${secrets}`).then((f) => { if (live) { setFile(f); setError(null); } }, (e) => live && setError(e));
    api.request<string>('GET', `${Api.path('config-files', selected)}?format=conf${secrets ? '&secrets=true' : ''}`, { accept: 'text' })
      .then((a) => { if (live) setRaw(a.body); }, (e) => live && setError(e));
    return () => { live = false; };
  }, [selected]);

  const download = () => {
    if (raw === null) return;
    const url = URL.createObjectURL(new Blob([raw], { type: 'text/plain;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = selected;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return html`<section aria-labelledby="files-title">
    <div class="screen-head"><h1 id="files-title">Config files</h1></div>
    <${ErrorBanner} error=${error} />
    ${files && files.length === 0 ? html`<p class="empty">The static table holds no files yet.</p>` : null}
    ${files && files.length > 0 ? html`<div class="toolbar">
      <label for="file-select">File</label>
      <select id="file-select" value=${selected} onChange=${(e: Event) => setSelected((e.currentTarget as HTMLSelectElement).value)}>
        ${files.map((f) => html`<option value=${f}>${f}</option>`)}
      </select>
      <div class="segmented" role="group" aria-label="View">
        <button type="button" aria-pressed=${view === 'table'} onClick=${() => setView('table')}>Categories</button>
        <button type="button" aria-pressed=${view === 'raw'} onClick=${() => setView('raw')}>.conf text</button>
      </div>
      <button type="button" onClick=${download} disabled=${raw === null}>Download ${selected}</button>
    </div>` : null}
    ${file && file.hidden_secrets ? html`<p class="hint">${file.hidden_secrets} secret variable(s) hidden: this token has no secrets scope.</p>` : null}
    ${file && view === 'table' ? html`<div class="categories">${file.categories.map((c) => html`<div class="table-wrap" role="region" tabIndex="0" aria-label=${`Category ${c.name}`}>
      <table class="data">
        <caption>[${c.name}]</caption>
        <thead><tr><th scope="col">Variable</th><th scope="col">Value</th></tr></thead>
        <tbody>${c.variables.map((v) => html`<tr><th scope="row"><code>${v.name}</code></th><td><code>${v.value}</code></td></tr>`)}</tbody>
      </table></div>`)}</div>` : null}
    ${view === 'raw' && raw !== null ? html`<pre class="conf" tabIndex="0" aria-label=${`${selected} as text`}>${raw}</pre>` : null}
  </section>`;
}
