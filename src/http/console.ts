import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The web console at `/ui/`: static files built by `npm run build` (scripts/build-ui.mjs) into
 * dist/ui. The console talks to the management API with the token the user enters, so
 * serving it needs no credentials of its own. A build without the console's assets answers
 * 404 with a hint instead of failing to start.
 */

export const CONSOLE_PREFIX = '/ui';

/** dist/ui, seen from dist/src/http (the built server) or from src/http (tests run through tsx). */
export function consoleDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', '..', 'ui'), join(here, '..', '..', 'dist', 'ui')].find((d) => existsSync(join(d, 'index.html')));
}

export async function consoleRoutes(app: FastifyInstance, opts: { dir?: string | undefined } = {}): Promise<void> {
  const dir = opts.dir ?? consoleDir();
  // The page's relative asset paths need the trailing slash.
  app.get(CONSOLE_PREFIX, async (_req, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
  if (!dir) {
    app.get(`${CONSOLE_PREFIX}/*`, async (_req, reply) =>
      reply.code(404).type('text/plain; charset=utf-8').send('the web console is not built: run `npm run build`\n'));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: `${CONSOLE_PREFIX}/`,
    // swagger-ui registers @fastify/static too; the reply decorator may exist already.
    decorateReply: false,
    // The asset names do not change with their content; revalidate instead of caching blind.
    cacheControl: true,
    maxAge: 0,
    setHeaders: (res) => {
      // Everything the console loads is its own; no inline script, no other origin.
      res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
    },
  });
}
