/**
 * Loaded into the ara-server process of the end-to-end benchmark (`node --import`): times every
 * HTTP request from its arrival to the end of its answer, grouped by `<family>/<operation>`, and
 * writes the durations (ms) to $ARA_TIMING_FILE as JSON when the process exits (SIGUSR2
 * forgets those so far). Outside ara's
 * code, so what is measured is what ara ships; the cost is a map lookup per request.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';

const file = process.env.ARA_TIMING_FILE;
if (file) {
  const started = new WeakMap<IncomingMessage, number>();
  const durations: Record<string, number[]> = {};
  subscribe('http.server.request.start', (m) => {
    started.set((m as { request: IncomingMessage }).request, performance.now());
  });
  subscribe('http.server.response.finish', (m) => {
    const req = (m as { request: IncomingMessage }).request;
    const t0 = started.get(req);
    if (t0 === undefined) return;
    const path = (req.url ?? '').split('?')[0]!;
    const parts = path.split('/');
    const key = parts[1] === 'realtime' && parts.length >= 4 ? `${parts[2]}/${parts[3]}` : path;
    (durations[key] ??= []).push(performance.now() - t0);
  });
  // SIGUSR2 starts the count afresh (after a warm-up).
  process.on('SIGUSR2', () => {
    for (const k of Object.keys(durations)) delete durations[k];
  });
  process.on('exit', () => writeFileSync(file, JSON.stringify(durations)));
}
