// A tiny Ollama registry for the end-to-end test: one model, library/tiny:latest, whose
// model layer is a local GGUF file. Blobs honour Range requests and are sent slowly, so a
// download shows progress and can be cancelled halfway.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export async function startRegistry(ggufPath, { bytesPerSecond = 300 * 1024 } = {}) {
  const model = readFileSync(ggufPath);
  const config = Buffer.from(JSON.stringify({ model_format: 'gguf', model_family: 'llama', architecture: 'amd64', os: 'linux' }));
  const digest = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');
  const blobs = new Map([
    [digest(model), model],
    [digest(config), config],
  ]);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digest(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: digest(model), size: model.length }],
  });
  const sockets = new Set();
  let requests = 0;
  const active = [];
  let timer;
  const tick = 50;
  const perTick = Math.max(1, Math.floor((bytesPerSecond * tick) / 1000));
  function pump() {
    if (timer) return;
    timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && active.length) {
        const a = active.shift();
        if (a.res.destroyed) continue;
        const n = Math.min(budget, a.end + 1 - a.pos, 64 * 1024);
        a.res.write(a.data.subarray(a.pos, a.pos + n));
        a.pos += n;
        budget -= n;
        if (a.pos > a.end) a.res.end();
        else active.push(a);
      }
      if (!active.length) {
        clearInterval(timer);
        timer = undefined;
      }
    }, tick);
  }

  const server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v2\/library\/([^/]+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'not found' }] }));
      return;
    }
    const [, name, kind, ref] = m;
    if (kind === 'manifests') {
      if (name !== 'tiny' || ref !== 'latest') {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': MANIFEST, 'Docker-Content-Digest': digest(Buffer.from(manifest)) });
      res.end(req.method === 'HEAD' ? undefined : manifest);
      return;
    }
    const blob = blobs.get(ref);
    if (!blob) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
      return;
    }
    let start = 0;
    let end = blob.length - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(Number(range[2]), end);
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${blob.length}` });
        res.end();
        return;
      }
    }
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes', ETag: `"${ref}"` };
    if (range) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${blob.length}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // The bandwidth is shared by all connections (the library downloads in several ranged
    // parts at once), so the whole download takes about size ÷ bytesPerSecond.
    active.push({ res, data: blob, pos: start, end });
    res.on('close', () => {
      const i = active.findIndex((a) => a.res === res);
      if (i >= 0) active.splice(i, 1);
    });
    pump();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    host: `127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
