// memkv: a one-node in-memory key-value server over HTTP, the smallest thing
// to put under faultline as "your own system" (see docs/systems.md).
//   GET  /kv/:key            → 200 {"value": v | null}
//   PUT  /kv/:key {"value"}  → 200
//   POST /kv/:key/cas {"from","to"} → 200, or 409 when the value is not "from"
//   GET  /health             → 200
import http from 'node:http';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const host = process.argv[process.argv.indexOf('--host') + 1] ?? '127.0.0.1';
const data = new Map();

const body = (req) =>
  new Promise((resolve) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => resolve(text ? JSON.parse(text) : {}));
  });

http
  .createServer(async (req, res) => {
    const send = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value ?? {}));
    };
    const m = /^\/kv\/([^/]+)(\/cas)?$/.exec(req.url ?? '');
    if (req.url === '/health') return send(200);
    if (!m) return send(404, { error: 'not found' });
    const key = decodeURIComponent(m[1]);
    if (req.method === 'GET') return send(200, { value: data.get(key) ?? null });
    const b = await body(req);
    if (req.method === 'PUT') {
      data.set(key, b.value);
      return send(200);
    }
    if ((data.get(key) ?? null) !== b.from) return send(409, { error: 'cas mismatch' });
    data.set(key, b.to);
    return send(200);
  })
  .listen(port, host, () => console.log(`memkv listening on ${host}:${port}`));
