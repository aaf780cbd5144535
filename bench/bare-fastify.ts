import Fastify from 'fastify';

/** The floor under every HTTP number: a Fastify route that does nothing but answer. */
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
app.post('/realtime/:family/:op', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('id=1&name=x\n'));
const addr = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ url: addr, msg: 'ara-server listening' }));
