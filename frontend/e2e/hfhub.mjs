// A tiny Hugging Face stand-in for the end-to-end test (HF_ENDPOINT points Perch here): every
// repository has one GGUF file per common quantization, each the same local model, listed by
// the tree API with its LFS sha256 and sent slowly with Range support, so the first-run
// download shows progress. setOffline(true) closes its port (connections are refused, as on a
// machine without internet); setOffline(false) opens it again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const QUANTS = ['Q4_K_M', 'Q5_K_M', 'Q6_K', 'Q8_0', 'Q3_K_M', 'Q4_0', 'IQ4_XS', 'Q2_K', 'BF16', 'F16'];

export async function startHub(ggufPath, { bytesPerSecond = 200 * 1024 } = {}) {
  const model = readFileSync(ggufPath);
  const sha = createHash('sha256').update(model).digest('hex');
  const sockets = new Set();
  let offline = false;
  const seen = [];
  const files = (repo) => {
    const stem = repo.split('/')[1].replace(/-GGUF$/i, '');
    return QUANTS.map((q) => `${stem}-${q}.gguf`);
  };
  const server = createServer((req, res) => {
    if (offline) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const p = decodeURIComponent(url.pathname);
    seen.push(p);
    const json = (v) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/[^/]+/.exec(p);
    if (m) {
      return json(files(m[1]).map((f) => ({ type: 'file', oid: sha.slice(0, 40), size: model.length, path: f, lfs: { oid: sha, size: model.length, pointerSize: 134 } })));
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)/.exec(p);
    if (m) {
      return json({ id: m[1], modelId: m[1], private: false, gated: false, downloads: 10, likes: 1, tags: ['gguf'], pipeline_tag: 'text-generation', siblings: files(m[1]).map((rfilename) => ({ rfilename })) });
    }
    if (p === '/api/models') return json([]);
    m = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(p);
    if (!m || !files(m[1]).includes(m[2])) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': 'EntryNotFound' });
      res.end(JSON.stringify({ error: 'Entry not found' }));
      return;
    }
    let start = 0;
    let end = model.length - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(Number(range[2]), end);
    }
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes', ETag: `"${sha}"`, 'X-Linked-Etag': `"${sha}"`, 'X-Linked-Size': String(model.length) };
    if (range) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${model.length}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    // Slowly, in small pieces, so the download can be watched.
    let pos = start;
    const perTick = Math.max(1024, Math.floor(bytesPerSecond / 20));
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      const n = Math.min(perTick, end + 1 - pos);
      res.write(model.subarray(pos, pos + n));
      pos += n;
      if (pos > end) {
        clearInterval(timer);
        res.end();
      }
    }, 50);
    res.on('close', () => clearInterval(timer));
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
    url: `http://127.0.0.1:${port}`,
    seen,
    async setOffline(v) {
      offline = v;
      if (v) {
        for (const s of sockets) s.destroy();
        await new Promise((r) => server.close(() => r()));
      } else await new Promise((r) => server.listen(port, '127.0.0.1', r));
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
