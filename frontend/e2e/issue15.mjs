// Issue 15's end-to-end steps: the first ten minutes, from an empty home to a first answer,
// against a Hugging Face stand-in on 127.0.0.1 (hfhub.mjs), then navigation, the header title,
// the server killed and restarted mid-answer, and errors for people. Run with run.mjs (all
// steps) or `E2E_ONLY=issue15 node e2e/run.mjs` (these alone).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from './hfhub.mjs';

const RAW = /dial tcp|\/tmp\/|\.upload\b|GGUF header|no such host|127\.0\.0\.1:\d+/;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** A `perch serve` on a fixed port that the test can kill (SIGKILL) and start again. */
function perchOn({ bin, home, port, env, out, stops }) {
  let proc;
  const log = [];
  const start = () =>
    new Promise((res, rej) => {
      proc = spawn(bin, ['serve', '--host', `127.0.0.1:${port}`], {
        env: { ...process.env, PERCH_HOME: home, PERCH_HOST: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => rej(new Error('perch serve printed no URL within 60 s')), 60_000);
      let buf = '';
      proc.stderr.on('data', (d) => log.push(String(d)));
      proc.stdout.on('data', (d) => {
        log.push(String(d));
        buf += String(d);
        if (/Perch is serving at/.test(buf)) {
          clearTimeout(timer);
          res(`http://127.0.0.1:${port}`);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`perch serve exited with ${code}: ${log.join('').slice(-1500)}`));
      });
    });
  const kill = () =>
    new Promise((res) => {
      if (!proc || proc.exitCode !== null || proc.signalCode) return res();
      proc.once('exit', () => res());
      proc.kill('SIGKILL');
    });
  const ensure = async () => {
    if (!proc || proc.exitCode !== null || proc.signalCode) await start();
  };
  stops.push(['perch (issue 15)', kill]);
  stops.push(['perch (issue 15) log', async () => writeFileSync(join(out, 'perch-issue15.log'), log.join(''))]);
  return { start, kill, ensure };
}

export async function issue15({ page, context, step, shot, assert, bin, models, out, stops }) {
  const hub = await startHub(join(models, 'stories260K.gguf'));
  stops.push(['hf hub', () => hub.close()]);
  const home = mkdtempSync(join(tmpdir(), 'perch-e2e-first-'));
  stops.push(['temp home (issue 15)', async () => rmSync(home, { recursive: true, force: true })]);
  const port = await freePort();
  // Judged for the first user's Mac: an M4 mini with 32 GB.
  const perch = perchOn({ bin, home, port, env: { HF_ENDPOINT: hub.url, PERCH_SIMULATE_MEMORY_GB: '32' }, out, stops });
  const url = await perch.start();
  const composer = () => page.getByRole('textbox', { name: 'Message', exact: true });
  const lastAnswer = () => page.locator('.message.assistant').last();
  const shots = async (name) => {
    // Each state at the popover size and a window size.
    await shot(`${name}-420`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(150);
    await shot(`${name}-1280`);
    await page.setViewportSize({ width: 420, height: 640 });
  };
  // The look (theme, language) changes as the settings do, without a reload: the app reads
  // its settings again when shown (visibilitychange), so a state in progress stays on screen.
  const look = async (theme, language) => {
    await page.evaluate(async ([theme, language]) => {
      await fetch('/perch/settings', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ theme, language }) });
      document.dispatchEvent(new Event('visibilitychange'));
    }, [theme, language]);
    await page.waitForFunction((theme) => document.documentElement.dataset.theme === theme, theme, { timeout: 5_000 });
    await page.waitForTimeout(200);
  };
  // Each state light and dark, in English and Korean, at both sizes.
  const allLooks = async (name) => {
    for (const [theme, language] of [['light', 'en'], ['dark', 'en'], ['light', 'ko'], ['dark', 'ko']]) {
      await look(theme, language);
      await shots(`${name}-${theme}-${language}`);
    }
    await look('light', 'en');
  };
  const setMaxTokens = async (n) => {
    await page.getByRole('button', { name: 'Chat options' }).click();
    await page.getByLabel('Max tokens').fill(String(n));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('button', { name: 'Close', exact: true }).click();
  };
  const visibleText = () => page.evaluate(() => document.body.innerText);

  let chatId = 0;
  await step('issue 15 #1: first run downloads the recommended model in Chat and answers, without visiting Models', async () => {
    await page.setViewportSize({ width: 420, height: 640 });
    await page.goto(`${url}/#/chat`);
    await page.evaluate(() => {
      window.__hashes = [location.hash];
      window.addEventListener('hashchange', () => window.__hashes.push(location.hash));
    });
    const card = page.locator('.chat-main .rec-card');
    await card.waitFor();
    await allLooks('first-run-card');
    await card.getByRole('button', { name: /Download/ }).click();
    // Progress in place, in Chat; the Models tab shows a badge meanwhile.
    await card.locator('[role="progressbar"]').waitFor({ timeout: 15_000 });
    const needs = await card.locator('.rec-needs').textContent();
    assert(/Needs about .*GB of memory/.test(needs ?? ''), `no memory need in words: ${needs}`);
    await page.locator('.topbar .nav-badge').waitFor();
    await allLooks('first-run-downloading');
    // Ready by itself, from the server's download event.
    await page.getByRole('heading', { name: 'Ready — start chatting' }).waitFor({ timeout: 60_000 });
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    assert(focused === 'Message', `the composer is not focused (${focused})`);
    await allLooks('first-run-ready');
    const hashes = await page.evaluate(() => window.__hashes);
    assert(!hashes.some((h) => h.includes('models')), `went to Models: ${hashes.join(' ')}`);
    await setMaxTokens(40);
    await composer().fill('Once upon a time');
    await page.keyboard.press('Enter');
    await lastAnswer().locator('.stats').waitFor({ timeout: 120_000 });
    const text = await lastAnswer().locator('.markdown').textContent();
    assert(text && text.length > 5, `short answer: ${text}`);
    chatId = Number(/#\/chat\/(\d+)/.exec(page.url())?.[1]);
    assert(chatId > 0, `no chat id in ${page.url()}`);
  });

  // When step #1 failed (as on the original main), the later steps still get their model and
  // first chat, through the API, so each checks its own defect.
  const ensureChat = async () => {
    if (chatId) return;
    const api = async (method, path, body) => (await fetch(url + path, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })).json();
    const rec = await api('GET', '/perch/recommended');
    await api('POST', '/perch/pulls', { ref: rec.quant.ref });
    for (let i = 0; i < 120 && !(await api('GET', '/perch/models')).models.length; i++) await new Promise((r) => setTimeout(r, 500));
    await page.goto(`${url}/?again#/chat`);
    await setMaxTokens(40);
    await composer().fill('Once upon a time');
    await page.keyboard.press('Enter');
    await lastAnswer().locator('.stats').waitFor({ timeout: 120_000 });
    chatId = Number(/#\/chat\/(\d+)/.exec(page.url())?.[1]);
  };

  await step('issue 15 #3: the header shows the chat title after the first message', async () => {
    await ensureChat();
    await page.waitForFunction(() => document.querySelector('.chat-title')?.textContent !== 'New chat', undefined, { timeout: 10_000 });
    const title = await page.locator('.chat-title').textContent();
    assert(/Once upon a time/.test(title ?? ''), `header title "${title}"`);
    await shots('chat-titled-light-en');
  });

  await step('issue 15 #7: display names in the picker at 420 px, with size and loaded state; the placeholder stays', async () => {
    const picker = page.getByRole('combobox', { name: 'Model', exact: true });
    const label = await picker.evaluate((el) => el.selectedOptions[0]?.textContent ?? '');
    // The stand-in serves stories260K (F32) under every quantization's name: the file's own
    // quantization is what the name shows.
    const shown = 'Qwen3 8B · F32';
    assert(label.startsWith(shown), `picker shows "${label}"`);
    assert(!label.includes('hf.co'), `picker shows the reference: "${label}"`);
    assert(/MB|GB/.test(label) && /Loaded/.test(label), `no size or loaded state in "${label}"`);
    // The display name itself is not cut at 420 px: it fits the closed picker's width.
    const fits = await picker.evaluate((el) => {
      const c = document.createElement('canvas').getContext('2d');
      c.font = getComputedStyle(el).font;
      return c.measureText('Qwen3 8B · F32').width <= el.clientWidth - 16;
    });
    assert(fits, 'the display name is cut in the picker at 420 px');
    const ph = await composer().getAttribute('placeholder');
    assert(ph === `Message ${shown}`, `placeholder "${ph}"`);
    await page.getByRole('link', { name: 'Models' }).click();
    const row = page.locator('.model-row').first();
    assert((await row.locator('.model-name').textContent()) === shown, 'installed row not by display name');
    assert((await row.locator('.model-ref').textContent())?.includes('hf.co/Qwen/Qwen3-8B-GGUF'), 'no reference as secondary text');
    const inst = page.locator('.quant-row', { hasText: 'Installed' }).first();
    await inst.waitFor();
    assert(/Q4_K_M/.test((await inst.textContent()) ?? ''), 'the installed quantization is not marked');
    await inst.scrollIntoViewIfNeeded();
    await shots('models-installed-light-en');
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.waitForURL(new RegExp(`#/chat/${chatId}$`));
    // The catalog's "Open chat" starts a new chat with that model chosen.
    await page.getByRole('link', { name: 'Models' }).click();
    await inst.getByRole('button', { name: 'Open chat' }).click();
    await page.waitForURL(/#\/chat\?model=/);
    const picked = await picker.evaluate((el) => el.value);
    assert(/Qwen3-8B-GGUF/i.test(picked), `Open chat picked "${picked}"`);
    assert((await page.locator('.message').count()) === 0, 'Open chat did not start a new chat');
    await page.goto(`${url}/#/chat/${chatId}`);
    await page.locator('.message.user').first().waitFor();
  });

  await step('issue 15 #2: tab switches, Back and Forward keep the conversation; Stop stays with its chat', async () => {
    await page.getByRole('link', { name: 'Memory' }).click();
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.waitForURL(new RegExp(`#/chat/${chatId}$`));
    await page.locator('.message.user', { hasText: 'Once upon a time' }).waitFor();
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.goBack();
    await page.waitForURL(new RegExp(`#/chat/${chatId}$`));
    await page.locator('.message.user', { hasText: 'Once upon a time' }).waitFor();
    assert((await page.locator('.chat-main').isVisible()) === true, 'chat not shown after Back');
    await page.goForward();
    await page.waitForURL(/#\/tokens$/);
    await page.goBack();
    await page.waitForURL(new RegExp(`#/chat/${chatId}$`));
    // A long answer, then a new chat while it streams: no Stop button there.
    await setMaxTokens(400);
    await composer().fill('The little dog');
    await page.keyboard.press('Enter');
    await page.locator('button.send-button.stop').waitFor();
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.waitForURL(/#\/chat$/);
    // The URL changes before React draws the new chat: count once its (empty) list is drawn.
    await page.waitForFunction(() => document.querySelectorAll('.message').length === 0);
    const stops = await page.locator('button.send-button.stop').count();
    const busyHere = await page.locator('.message.assistant[aria-busy="true"]').count();
    await page.goBack();
    await page.waitForURL(new RegExp(`#/chat/${chatId}$`));
    await page.locator('.message.user', { hasText: 'The little dog' }).waitFor();
    assert(stops === 0, 'the Stop button of another chat showed in the new chat');
    assert(busyHere === 0, 'the other chat streamed into the new chat');
    await lastAnswer().locator('.stats').waitFor({ timeout: 120_000 });
  });

  await step('issue 15 #5: server killed mid-answer shows the banner, the answer says interrupted, and all recovers', async () => {
    // A fresh chat with room for a long answer.
    await page.getByRole('button', { name: 'New chat' }).click();
    await setMaxTokens(1000);
    await composer().fill('A tall tree');
    // Kill the server as soon as part of the answer is on screen.
    await page.evaluate(() => {
      window.__partial = false;
      const seen = new MutationObserver(() => {
        const b = document.querySelector('.message.assistant[aria-busy="true"] .markdown');
        if (b && b.textContent.length > 0) {
          window.__partial = true;
          seen.disconnect();
        }
      });
      seen.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.__partial, undefined, { timeout: 30_000 });
    await perch.kill();
    await page.locator('.conn-banner').waitFor({ timeout: 10_000 });
    await page.locator('.interrupted-note').waitFor();
    const status = await page.locator('.chat-foot [role="status"]').textContent();
    assert(!/Answer complete/.test(status ?? ''), `screen readers hear "${status}"`);
    assert(/Interrupted/.test(status ?? ''), `status says "${status}"`);
    await shots('server-gone-chat-light-en');
    await page.getByRole('link', { name: 'Memory' }).click();
    await page.waitForTimeout(500);
    assert(!/Loading…/.test(await page.locator('.memory-view .live').textContent()), 'Memory says Loading… while offline');
    await shots('server-gone-memory-light-en');
    await perch.start();
    await page.locator('.conn-banner').waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('.memory-view .live.on').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.waitForURL(/#\/chat\/\d+$/);
    await page.locator('.message.user', { hasText: 'A tall tree' }).waitFor();
    // And the chat works again.
    await setMaxTokens(20);
    await composer().fill('The end');
    await page.keyboard.press('Enter');
    await page.locator('.message.user', { hasText: 'The end' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('.message.assistant[aria-busy="true"]') && document.querySelector('button.send-button:not(.stop)'), undefined, { timeout: 60_000 });
    assert((await page.locator('.error-box').count()) === 0, `an error after recovery: ${await page.locator('.error-box').first().textContent().catch(() => '')}`);
  });

  await step('issue 15 #4: errors offline say what happened and what to do, never raw text', async () => {
    await perch.ensure();
    await hub.setOffline(true);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('textbox', { name: 'Model reference' }).fill('hf.co/acme/Nothing-GGUF:Q4_K_M');
    await page.getByRole('button', { name: 'Download', exact: true }).first().click();
    const err = page.locator('.models-view [role="alert"]').first();
    await err.waitFor({ timeout: 30_000 });
    const text = await visibleText();
    assert(!RAW.test(text), `raw error text on screen: ${RAW.exec(text)?.[0]}`);
    assert(/offline|not reachable|Hugging Face has no such model/i.test((await err.textContent()) ?? ''), `error says: ${await err.textContent()}`);
    await err.scrollIntoViewIfNeeded();
    await shots('error-offline-light-en');
    // Korean and dark too.
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await shots('error-offline-dark-en');
    await page.evaluate(() => {
      document.documentElement.lang = 'ko';
    });
    await fetch(`${url}/perch/settings`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ language: 'ko', theme: 'dark' }) });
    await page.reload();
    await page.getByRole('link', { name: '모델' }).waitFor();
    await page.getByRole('textbox', { name: /모델 참조|Model reference/ }).fill('hf.co/acme/Nothing-GGUF:Q4_K_M');
    await page.locator('.pull-ref-form button[type="submit"]').click();
    await page.locator('.models-view [role="alert"]').first().waitFor({ timeout: 30_000 });
    const ko = await visibleText();
    assert(!RAW.test(ko), `raw error text on screen (ko): ${RAW.exec(ko)?.[0]}`);
    assert(/오프라인/.test(ko), 'no Korean offline sentence');
    await shots('error-offline-dark-ko');
    await fetch(`${url}/perch/settings`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ language: 'en', theme: 'light' }) });
    await page.reload();
    await page.getByRole('link', { name: 'Settings' }).waitFor();
    await hub.setOffline(false);
  });
  await step('issue 15 #6: LAN on, LAN off, remove the key, restart the server from Settings: applied live, this Mac never needs the key', async () => {
    await perch.ensure();
    const status = async (path = '/perch/status') => (await fetch(url + path)).status;
    const lanBox = () => page.getByLabel('Allow access from other devices on the network');
    await page.getByRole('link', { name: 'Settings' }).click();
    await lanBox().check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    // Read as this Mac's page reads it (a tool without the key is refused now).
    const sv = await page.evaluate(async () => (await fetch('/perch/settings')).json());
    assert(sv.settings?.api_key, 'turning LAN on made no key');
    // Applied without restarting the process: tools need the key now, this Mac's page does not.
    assert(sv.listening?.startsWith('0.0.0.0:'), `not listening beyond loopback: ${sv.listening}`);
    assert((sv.restart_needed ?? []).length === 0, `LAN on still waits for a restart: ${sv.restart_needed}`);
    assert((await status()) === 401, 'a tool without the key was let in with LAN on');
    assert((await fetch(`${url}/v1/models`, { headers: { Authorization: `Bearer ${sv.settings.api_key}` } })).status === 200, 'the key does not work');
    await page.goto(`${url}/?lan#/chat/${chatId}`);
    await page.locator('.message.user').first().waitFor();
    assert((await page.locator('.key-card').count()) === 0, 'the browser on this Mac was asked for the key');
    await page.getByRole('link', { name: 'Settings' }).click();
    await lanBox().uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove key' }).click();
    await page.getByText('No key (only this Mac can connect)').waitFor();
    await shots('settings-lan-off-light-en');
    assert((await status()) === 200, 'a local tool still needs a key after LAN access was turned off and the key removed');
    const off = await (await fetch(`${url}/perch/settings`)).json();
    assert(off.listening?.startsWith('127.0.0.1:'), `still listening beyond loopback: ${off.listening}`);
    // A change that needs a restart (the slots; keep-alive now applies at once) gets a button
    // that restarts the server in place.
    await page.getByLabel('Parallel requests per model').fill('2');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const restart = page.getByRole('button', { name: 'Restart server' });
    await restart.waitFor();
    await shots('settings-restart-light-en');
    await restart.click();
    await page.waitForFunction(() => !document.querySelector('.save-bar .notice'), undefined, { timeout: 30_000 });
    assert((await status()) === 200, 'after the restart a local tool needs a key');
    await page.goto(`${url}/?again2#/chat/${chatId}`);
    await page.locator('.message.user').first().waitFor();
    assert((await page.locator('.key-card').count()) === 0, 'asked for a key');
  });
}
