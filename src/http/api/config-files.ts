import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './route.js';

export async function configFileRoutes(_app: FastifyInstance, _ctx: ApiContext): Promise<void> {}
