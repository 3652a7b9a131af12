#!/usr/bin/env node
// End-to-end test of remote endpoints in the UI: two real `perch serve` processes, a "back"
// one with ../shared/models behind an API key and a "front" one with no models of its own,
// driven in headless Chromium. In the front's Settings the back is added as an endpoint; its
// model is picked in the chat, answers, and the answer says where it ran. Everything started
// here is stopped at the end, also on failure or timeout.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, '..');
const repo = resolve(frontend, '..');
const models = resolve(repo, '..', 'shared', 'models');
const bin = join(repo, 'bin', 'perch');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const out = join(frontend, 'test-results');

for (const [what, path] of [
  ['the perch binary (make build)', bin],
  ['../shared/models/stories260K.gguf', join(models, 'stories260K.gguf')],
  ['Chromium', chromiumPath],
]) {
  if (!existsSync(path)) {
    console.log(`e2e-remote: SKIP: ${what} is missing at ${path}`);
    process.exit(0);
  }
}
mkdirSync(out, { recursive: true });

const stops = [];
let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  while (stops.length) {
    const [name, fn] = stops.pop();
    try {
      await Promise.race([fn(), new Promise((r) => setTimeout(r, 10_000))]);
    } catch (e) {
      console.error(`e2e-remote: stopping ${name}: ${e.message}`);
    }
  }
}
const watchdog = setTimeout(() => {
  console.error('e2e-remote: FAIL: timed out after 4 minutes');
  void stopAll().finally(() => process.exit(1));
}, 4 * 60_000);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void stopAll().finally(() => process.exit(130)));

function startPerch(name, args) {
  const home = mkdtempSync(join(tmpdir(), `perch-e2e-${name}-`));
  stops.push([`${name} home`, async () => rmSync(home, { recursive: true, force: true })]);
  const log = [];
  const proc = spawn(bin, ['serve', '--host', '127.0.0.1:0', ...args], {
    env: { ...process.env, PERCH_HOME: home, PERCH_HOST: '', PERCH_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stops.push([
    name,
    () =>
      new Promise((res) => {
        if (proc.exitCode !== null) return res();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 8000);
        proc.once('exit', () => {
          clearTimeout(kill);
          res();
        });
        proc.kill('SIGINT');
      }),
  ]);
  stops.push([`${name} log`, async () => writeFileSync(join(out, `remote-${name}.log`), log.join(''))]);
  proc.stderr.on('data', (d) => log.push(String(d)));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name}: perch serve printed no URL within 60 s`)), 60_000);
    let buf = '';
    proc.stdout.on('data', (d) => {
      log.push(String(d));
      buf += String(d);
      const m = /Perch is serving at (http:\/\/[^\s]+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${name}: perch serve exited with ${code}: ${log.join('').slice(-2000)}`));
    });
  });
}

let page;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    console.log(`  FAIL ${name}: ${e.message}`);
    await page?.screenshot({ path: join(out, `remote-failure-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`) }).catch(() => undefined);
    throw e;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function main() {
  // The back listens on every interface (LAN access on), so it advertises itself by Bonjour.
  const backListen = await startPerch('back', ['--models-dir', models, '--api-key', 'back-key', '--host', '0.0.0.0:0']);
  const backPort = new URL(backListen).port;
  const back = `http://127.0.0.1:${backPort}`;
  const front = await startPerch('front', []);
  console.log(`e2e-remote: front ${front}, back ${back}`);
  const profile = mkdtempSync(join(tmpdir(), 'perch-e2e-profile-'));
  stops.push(['temp profile', async () => rmSync(profile, { recursive: true, force: true })]);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 420, height: 720 },
    locale: 'en-US',
  });
  stops.push(['browser', () => context.close()]);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await step('a bad URL is refused with a clear message', async () => {
    await page.goto(`${front}/#/settings`);
    const section = page.getByRole('group', { name: 'Remote endpoints' });
    await section.getByLabel('Name').fill('back');
    await section.getByLabel('URL').fill('ftp://nowhere');
    await section.getByRole('button', { name: 'Add' }).click();
    await section.getByRole('alert').filter({ hasText: 'must start with http:// or https://' }).waitFor();
    await section.getByText('No remote endpoints yet.').waitFor();
  });

  await step('find the back Perch on the network', async () => {
    const section = page.getByRole('group', { name: 'Remote endpoints' });
    await section.getByRole('button', { name: 'Find Perch on this network' }).click();
    const found = section.getByRole('list', { name: 'Perch on this network' }).locator('li').filter({ hasText: `:${backPort}` });
    await found.waitFor();
    await found.getByRole('button', { name: 'Use' }).click();
    assert((await section.getByLabel('URL').inputValue()).endsWith(`:${backPort}`), 'Use did not fill the URL');
    await section.getByLabel('Name').fill('back');
  });

  await step('add the back Perch in Settings', async () => {
    // The URL is the one Bonjour found; the key is asked for once, here.
    const section = page.getByRole('group', { name: 'Remote endpoints' });
    await section.getByLabel('API key (optional)').fill('back-key');
    await section.getByRole('button', { name: 'Add' }).click();
    const row = section.locator('.remote-list li').filter({ hasText: 'back' });
    await row.waitFor();
    const text = await row.textContent();
    assert(/reachable/.test(text) && /ollama/.test(text), `endpoint row: ${text}`);
    await page.screenshot({ path: join(out, 'remote-settings.png') });
  });

  await step('pick the remote model, see the notice, get an answer that says where it ran', async () => {
    await page.goto(`${front}/#/chat`);
    const picker = page.getByRole('combobox', { name: 'Model', exact: true });
    await picker.locator('option', { hasText: 'stories260k — on back' }).waitFor({ state: 'attached' });
    assert((await picker.inputValue()) === '', `a model was chosen by itself: ${await picker.inputValue()}`);
    await picker.selectOption('back/stories260k');
    const notice = page.locator('.remote-notice');
    await notice.waitFor();
    assert((await notice.textContent()).includes(`:${backPort}`), `the notice does not say where: ${await notice.textContent()}`);
    await notice.getByRole('button', { name: 'Got it' }).click();
    await page.getByRole('button', { name: 'Chat options' }).click();
    await page.getByLabel('Max tokens').fill('30');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Once upon a time');
    await page.keyboard.press('Enter');
    const answer = page.locator('.message.assistant').last();
    await answer.locator('.answer-model').waitFor({ timeout: 60_000 });
    const text = await answer.locator('.markdown').textContent();
    assert(text && text.trim().length > 0, 'empty answer');
    const where = await answer.locator('.answer-model').textContent();
    assert(where === 'back/stories260k', `the answer says it ran on ${where}`);
    assert((await page.locator('.remote-notice').count()) === 0, 'the notice came back after it was read');
    await page.screenshot({ path: join(out, 'remote-chat.png') });
  });

  await step('Models says it uses none of this Mac’s memory', async () => {
    await page.goto(`${front}/#/models`);
    const row = page.locator('.model-row').filter({ hasText: 'back/stories260k' });
    await row.getByText("uses none of this Mac's memory").waitFor();
    await page.goto(`${front}/#/memory`);
    await page.locator('.remote-memory-note').filter({ hasText: "back" }).waitFor();
  });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
}

main()
  .then(async () => {
    clearTimeout(watchdog);
    await stopAll();
    console.log('e2e-remote: PASS');
  })
  .catch(async (e) => {
    clearTimeout(watchdog);
    console.error(`e2e-remote: FAIL: ${e.stack ?? e.message}`);
    await stopAll();
    process.exit(1);
  });
