// Framework clients against a Perch server: the Vercel AI SDK 6 (@ai-sdk/openai on
// /v1/responses and /v1/chat/completions, @ai-sdk/openai-compatible, ollama-ai-provider-v2)
// and LangChain JS (@langchain/openai, @langchain/ollama), each with list (where the client
// has one), chat, stream, embeddings, a Zod schema, a forced tool call and an unknown model.
// Usage: node sdks.mjs BASE_URL MODEL EMBED_MODEL   (PERCH_API_KEY is sent when set)
// Prints one line per case and "N passed, N failed"; exits 1 when any case failed.
import { generateText, streamText, generateObject, embed, tool } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createOllama } from 'ollama-ai-provider-v2';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { ChatOllama, OllamaEmbeddings } from '@langchain/ollama';
import { z } from 'zod';
import assert from 'node:assert/strict';

const [base, model, embedModel] = process.argv.slice(2);
if (!base || !model || !embedModel) {
  console.error('usage: node sdks.mjs BASE_URL MODEL EMBED_MODEL');
  process.exit(2);
}
const key = process.env.PERCH_API_KEY || 'unused';
// A real model (PERCH_REAL) may decline a tool call that the Ollama API cannot force.
const real = !!process.env.PERCH_REAL;
// PERCH_ONLY runs only the cases whose name contains it.
const only = process.env.PERCH_ONLY || '';
const auth = { Authorization: `Bearer ${key}` };

const openai = createOpenAI({ baseURL: `${base}/v1`, apiKey: key });
const compatible = createOpenAICompatible({ name: 'perch', baseURL: `${base}/v1`, apiKey: key, supportsStructuredOutputs: true, includeUsage: true });
const ollama = createOllama({ baseURL: `${base}/api`, headers: auth });

// Zod 4 writes ±9007199254740991 as the bounds of every .int(): Perch must accept them.
const Pet = z.object({ name: z.string().max(12), age: z.number().int(), legs: z.number().int().min(0).max(8) });
const weather = tool({
  description: 'Weather in a city',
  inputSchema: z.object({ city: z.string().max(20), days: z.number().int() }),
});

const cases = [];
const test = (name, fn) => name.includes(only) && cases.push({ name, fn });

async function rejects(promise, check) {
  try {
    await promise;
  } catch (err) {
    check(err);
    return;
  }
  assert.fail('the request succeeded');
}

const notFound = (e) => assert.match(String(e?.message ?? e) + JSON.stringify(e?.responseBody ?? ''), /no-such-model|not found/i);

// The AI SDK's provider shapes: openai(model) is /v1/responses, .chat() chat completions.
const providers = {
  'ai-sdk openai (responses)': (m) => openai(m),
  'ai-sdk openai .chat': (m) => openai.chat(m),
  'ai-sdk openai-compatible': (m) => compatible(m),
  'ai-sdk ollama provider': (m) => ollama(m),
};

for (const [name, make] of Object.entries(providers)) {
  test(`${name} generateText`, async () => {
    const res = await generateText({ model: make(model), prompt: 'Tell me a story.', temperature: 0, maxOutputTokens: 16 });
    assert.ok(res.text.length > 0, 'empty text');
    assert.ok(res.usage.inputTokens > 0 && res.usage.outputTokens > 0, JSON.stringify(res.usage));
  });
  test(`${name} streamText`, async () => {
    const whole = await generateText({ model: make(model), prompt: 'Tell me a story.', temperature: 0, maxOutputTokens: 16 });
    const s = streamText({ model: make(model), prompt: 'Tell me a story.', temperature: 0, maxOutputTokens: 16, onError: () => {} });
    let text = '';
    for await (const part of s.textStream) text += part;
    assert.equal(text, whole.text);
    assert.ok((await s.usage).outputTokens > 0);
  });
  test(`${name} generateObject`, async () => {
    const res = await generateObject({ model: make(model), schema: Pet, prompt: 'Describe a pet.', maxOutputTokens: 96, temperature: 0 });
    assert.equal(typeof res.object.name, 'string');
    assert.ok(Number.isInteger(res.object.age) && res.object.legs >= 0 && res.object.legs <= 8, JSON.stringify(res.object));
  });
  test(`${name} forced tool call`, async () => {
    if (real) return; // a small test context cannot hold the tool prompt; the fake engine checks the wire
    const res = await generateText({ model: make(model), prompt: 'Use a tool: weather in Seoul?', tools: { weather }, toolChoice: { type: 'tool', toolName: 'weather' }, maxOutputTokens: 64 });
    assert.equal(res.toolCalls.length, 1, JSON.stringify(res.content));
    assert.equal(res.toolCalls[0].toolName, 'weather');
    assert.equal(typeof res.toolCalls[0].input.city, 'string');
    assert.ok(Number.isInteger(res.toolCalls[0].input.days));
  });
  test(`${name} unknown model`, async () => {
    await rejects(generateText({ model: make('no-such-model'), prompt: 'hi', maxRetries: 0 }), notFound);
  });
}

test('ai-sdk embeddings (openai, openai-compatible, ollama)', async () => {
  const models = { openai: openai.embedding(embedModel), compatible: compatible.textEmbeddingModel(embedModel), ollama: ollama.embedding(embedModel) };
  for (const [name, m] of Object.entries(models)) {
    const { embedding } = await embed({ model: m, value: 'hello', maxRetries: 0 }).catch((e) => assert.fail(`${name}: ${e} ${e.responseBody ?? ''}`));
    assert.ok(embedding.length > 0 && embedding.every(Number.isFinite), name);
  }
});

test('ai-sdk responses multi-turn with a tool result', async () => {
  const first = await generateText({ model: openai(model), prompt: 'Weather in Seoul?', tools: { weather }, toolChoice: 'required', maxOutputTokens: 64 });
  assert.equal(first.toolCalls.length, 1);
  const messages = [
    { role: 'user', content: 'Weather in Seoul?' },
    ...first.response.messages,
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: first.toolCalls[0].toolCallId, toolName: 'weather', output: { type: 'text', value: 'Sunny' } }] },
  ];
  const next = await generateText({ model: openai(model), messages, tools: { weather }, maxOutputTokens: 8 });
  assert.ok(next.text.length > 0);
});

// LangChain JS.
const lcOpenAI = (m, extra = {}) => new ChatOpenAI({ model: m, apiKey: key, configuration: { baseURL: `${base}/v1` }, maxRetries: 0, ...extra });
const lcOllama = (m, extra = {}) => new ChatOllama({ model: m, baseUrl: base, headers: auth, ...extra });
const langchains = { 'langchain ChatOpenAI': lcOpenAI, 'langchain ChatOllama': lcOllama };

for (const [name, make] of Object.entries(langchains)) {
  test(`${name} invoke`, async () => {
    const res = await make(model, { temperature: 0, maxTokens: 16, numPredict: 16 }).invoke('Tell me a story.');
    assert.ok(typeof res.content === 'string' && res.content.length > 0);
  });
  test(`${name} stream`, async () => {
    let text = '';
    for await (const chunk of await make(model, { temperature: 0, maxTokens: 16, numPredict: 16 }).stream('Tell me a story.')) text += chunk.content;
    assert.ok(text.length > 0);
  });
  test(`${name} withStructuredOutput`, async () => {
    const res = await make(model, { temperature: 0, maxTokens: 96, numPredict: 96 }).withStructuredOutput(Pet).invoke('Describe a pet.');
    assert.equal(typeof res.name, 'string');
    assert.ok(Number.isInteger(res.age), JSON.stringify(res));
  });
  test(`${name} forced tool call`, async () => {
    if (real) return;
    const t = { type: 'function', function: { name: 'weather', description: 'Weather in a city', parameters: z.toJSONSchema(z.object({ city: z.string().max(20), days: z.number().int() })) } };
    const res = await make(model, { maxTokens: 64, numPredict: 64 }).bindTools([t], { tool_choice: name.includes('OpenAI') ? 'weather' : 'any' }).invoke('Use a tool: weather in Seoul?');
    assert.equal(res.tool_calls?.length, 1, JSON.stringify(res));
    assert.equal(res.tool_calls[0].name, 'weather');
  });
  test(`${name} unknown model`, async () => {
    await rejects(make('no-such-model').invoke('hi'), notFound);
  });
}

test('langchain embeddings (OpenAIEmbeddings, OllamaEmbeddings)', async () => {
  const a = await new OpenAIEmbeddings({ model: embedModel, apiKey: key, configuration: { baseURL: `${base}/v1` } }).embedQuery('hello');
  const b = await new OllamaEmbeddings({ model: embedModel, baseUrl: base, headers: auth }).embedQuery('hello');
  assert.ok(a.length > 0 && b.length > 0);
});

test('list models (the OpenAI and Ollama routes these providers use)', async () => {
  const v1 = await (await fetch(`${base}/v1/models`, { headers: auth })).json();
  assert.ok(v1.data.some((m) => m.id === model));
  const tags = await (await fetch(`${base}/api/tags`, { headers: auth })).json();
  assert.ok(tags.models.length > 0);
});

let failed = 0;
for (const c of cases) {
  try {
    await c.fn();
    console.log(`ok   ${c.name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${c.name}: ${err?.stack ?? err}`);
  }
}
console.log(`${cases.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
