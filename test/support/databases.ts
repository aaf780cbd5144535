import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { servicesRequired, testServices } from './services.js';

export interface ScratchDatabase {
  url: string;
  /** drops the database; safe to call twice */
  drop(): Promise<void>;
}

/** Why a suite for this server cannot run here, or undefined when it can. */
export function unavailable(kind: 'pg' | 'mysql'): string | undefined {
  if (testServices()[kind]) return undefined;
  const msg = `${kind} not configured: run npm test, which starts it`;
  if (servicesRequired()) throw new Error(`${msg} (ARA_TEST_REQUIRE_SERVICES=1)`);
  return msg;
}

/** A fresh, empty database on the test server, so each suite migrates from nothing. */
export async function scratchDatabase(kind: 'pg' | 'mysql', prefix = 'ara'): Promise<ScratchDatabase> {
  const base = testServices()[kind];
  if (!base) throw new Error(`${kind} not configured`);
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: base, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(kind === 'pg' ? `create database "${name}"` : `create database \`${name}\``);
  } finally {
    await admin.destroy();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    url: u.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      const a = knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: base, pool: { min: 0, max: 1 } });
      try {
        await a.raw(kind === 'pg' ? `drop database if exists "${name}" with (force)` : `drop database if exists \`${name}\``);
      } finally {
        await a.destroy();
      }
    },
  };
}
