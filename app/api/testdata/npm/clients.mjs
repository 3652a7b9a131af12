// The npm OpenAI (6.x) and Ollama (0.6.4) clients against a Perch server.
// Usage: node clients.mjs BASE_URL MODEL [EMBED_MODEL]   (PERCH_API_KEY is sent when set)
// Prints one line per case and "N passed, N failed"; exits 1 when any case failed.
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import assert from 'node:assert/strict';

const [base, model, embedModel] = process.argv.slice(2);
if (!base || !model) {
  console.error('usage: node clients.mjs BASE_URL MODEL [EMBED_MODEL]');
  process.exit(2);
}
const key = process.env.PERCH_API_KEY || '';
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key || 'unused', maxRetries: 0, timeout: 120_000 });
const ollama = new Ollama({ host: base, headers: key ? { Authorization: `Bearer ${key}` } : {} });
// Ollama lists every model with a tag.
const tagged = model.includes(':') ? model : `${model}:latest`;
const greedy = { model, temperature: 0, max_tokens: 16 };
const longPrompt = 'hello world '.repeat(40000);

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

async function rejects(promise, check) {
  try {
    await promise;
  } catch (err) {
    check(err);
    return;
  }
  assert.fail('the request succeeded');
}

test('openai models', async () => {
  const page = await openai.models.list();
  assert.ok(page.data.some((m) => m.id === model), `${model} not listed`);
  await rejects(openai.models.retrieve('no-such-model'), (e) => assert.equal(e.status, 404));
});

test('openai chat', async () => {
  const res = await openai.chat.completions.create({ ...greedy, messages: [{ role: 'user', content: 'Tell me a story.' }] });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.choices[0].message.role, 'assistant');
  assert.equal(typeof res.choices[0].message.content, 'string');
  assert.ok(res.choices[0].message.content.length > 0);
  assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
});

test('openai chat stream', async () => {
  const params = { ...greedy, messages: [{ role: 'user', content: 'Tell me a story.' }] };
  const whole = await openai.chat.completions.create(params);
  const stream = await openai.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const finishes = chunks.flatMap((c) => c.choices).filter((c) => c.finish_reason).length;
  assert.equal(finishes, 1);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage.total_tokens > 0);
  const text = chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? '').join('');
  assert.equal(text, whole.choices[0].message.content);
});

test('openai completions', async () => {
  const res = await openai.completions.create({ ...greedy, prompt: 'Once upon a time' });
  assert.equal(res.object, 'text_completion');
  assert.ok(res.choices[0].text.length > 0);
  const stream = await openai.completions.create({ ...greedy, prompt: 'Once upon a time', stream: true });
  let text = '';
  for await (const c of stream) text += c.choices.map((x) => x.text).join('');
  assert.equal(text, res.choices[0].text);
});

test('openai forced tool call', async () => {
  const res = await openai.chat.completions.create({
    ...greedy, max_tokens: 64,
    messages: [{ role: 'user', content: 'Call the tool.' }],
    tools: [{ type: 'function', function: { name: 'record', strict: true, parameters: {
      type: 'object', properties: { value: { type: 'string' } }, required: ['value'], additionalProperties: false } } }],
    tool_choice: { type: 'function', function: { name: 'record' } },
  });
  const ch = res.choices[0];
  assert.equal(ch.finish_reason, 'tool_calls');
  assert.equal(ch.message.tool_calls[0].function.name, 'record');
  assert.equal(typeof ch.message.tool_calls[0].function.arguments, 'string');
  assert.equal(typeof JSON.parse(ch.message.tool_calls[0].function.arguments).value, 'string');
});

test('openai json_schema', async () => {
  const res = await openai.chat.completions.create({
    ...greedy, max_tokens: 32,
    messages: [{ role: 'user', content: 'Say ok.' }],
    response_format: { type: 'json_schema', json_schema: { name: 'status', strict: true, schema: {
      type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'], additionalProperties: false } } },
  });
  assert.deepEqual(JSON.parse(res.choices[0].message.content), { status: 'ok' });
});

test('openai embeddings', async () => {
  if (!embedModel) return 'skip';
  const res = await openai.embeddings.create({ model: embedModel, input: ['hello', 'world'] });
  assert.equal(res.data.length, 2);
  const norm = Math.sqrt(res.data[0].embedding.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
});

test('openai errors', async () => {
  await rejects(openai.chat.completions.create({ ...greedy, model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (e) => assert.equal(e.status, 404));
  await rejects(openai.chat.completions.create({ ...greedy, messages: [{ role: 'user', content: longPrompt }] }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.type, 'exceed_context_size_error');
  });
});

test('ollama list, show, version, ps', async () => {
  const list = await ollama.list();
  assert.ok(list.models.some((m) => m.name === tagged && /^[0-9a-f]{64}$/.test(m.digest)), `${tagged} not in /api/tags with a 64-hex digest`);
  const show = await ollama.show({ model });
  assert.match(show.modelfile, /FROM /);
  assert.equal(show.details.format, 'gguf');
  const v = await ollama.version();
  assert.match(v.version, /^\d+\.\d+\.\d+/);
  await rejects(ollama.show({ model: 'no-such-model' }), (e) => assert.equal(e.status_code, 404));
});

test('ollama generate', async () => {
  const res = await ollama.generate({ model, prompt: 'Once upon a time', raw: true, options: { temperature: 0, num_predict: 16 } });
  assert.equal(res.done, true);
  assert.ok(res.response.length > 0);
  assert.ok(res.total_duration > 0);
  let text = '';
  let last;
  for await (const part of await ollama.generate({ model, prompt: 'Once upon a time', raw: true, stream: true, options: { temperature: 0, num_predict: 16 } })) {
    text += part.response;
    last = part;
  }
  assert.equal(last.done, true);
  assert.equal(text, res.response);
});

test('ollama chat', async () => {
  const messages = [{ role: 'system', content: 'You tell stories.' }, { role: 'user', content: 'Tell me a story.' }];
  const res = await ollama.chat({ model, messages, options: { temperature: 0, num_predict: 16 } });
  assert.equal(res.message.role, 'assistant');
  assert.ok(res.message.content.length > 0);
  let text = '';
  let last;
  for await (const part of await ollama.chat({ model, messages, stream: true, options: { temperature: 0, num_predict: 16 } })) {
    text += part.message.content;
    last = part;
  }
  assert.equal(last.done, true);
  assert.ok(['stop', 'length'].includes(last.done_reason));
  assert.equal(text, res.message.content);
  const ps = await ollama.ps();
  assert.ok(ps.models.some((m) => m.name === tagged));
});

test('ollama embed', async () => {
  if (!embedModel) return 'skip';
  const res = await ollama.embed({ model: embedModel, input: ['why is the sky blue?', 'why is the grass green?'] });
  assert.equal(res.embeddings.length, 2);
});

test('ollama errors', async () => {
  await rejects(ollama.generate({ model: 'no-such-model', prompt: 'x' }), (e) => assert.equal(e.status_code, 404));
});

let passed = 0;
let failed = 0;
let skipped = 0;
for (const c of cases) {
  try {
    const r = await c.fn();
    if (r === 'skip') {
      skipped++;
      console.log(`skip - ${c.name}`);
    } else {
      passed++;
      console.log(`ok - ${c.name}`);
    }
  } catch (err) {
    failed++;
    console.log(`not ok - ${c.name}: ${err?.stack ?? err}`);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
