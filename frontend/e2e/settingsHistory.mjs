// Issue 16's Settings and history steps (helper n16) against the real server: pin chats
// (pinned first, kept after a reload) and delete several with one confirmation and one
// request; the KV cache type, the Hugging Face token (never shown whole) and the storage
// report in Settings. Screenshots at 420×640 and 1280×800, light English and dark Korean,
// with axe-core. Run with run.mjs, or `E2E_ONLY=settings16 node e2e/run.mjs` alone.

export async function settingsHistory({ page, url, step, shot, assert, axe, api }) {
  const titles = ['E2E Alpha', 'E2E Beta', 'E2E Gamma'];
  const ids = {};
  const variants = async (name, prepare) => {
    for (const [w, h] of [
      [420, 640],
      [1280, 800],
    ]) {
      for (const [theme, language] of [
        ['light', 'en'],
        ['dark', 'ko'],
      ]) {
        await api('PUT', '/perch/settings', { theme, language });
        await page.setViewportSize({ width: w, height: h });
        await page.reload();
        await prepare(language, w);
        await shot(`${name}-${theme}-${language}-${w}`);
        await axe(`${name}-${theme}-${language}-${w}`);
      }
    }
    await api('PUT', '/perch/settings', { theme: 'system', language: 'en' });
    await page.setViewportSize({ width: 420, height: 640 });
    await page.reload();
  };
  const openHistory = async (w) => {
    if (w < 1000) await page.getByRole('button', { name: /^(Chat history|History|채팅 기록|기록)$/ }).first().click();
  };

  await step('history: a pinned chat comes first and stays first after a reload', async () => {
    for (const t of titles) ids[t] = (await api('POST', '/perch/chats', { title: t })).id;
    await page.goto(`${url}/#/chat`);
    await page.reload();
    await openHistory(420);
    const row = page.locator('.history-item', { hasText: 'E2E Alpha' });
    await row.hover();
    await row.getByRole('button', { name: 'Pin: E2E Alpha' }).click();
    await page.locator('.history-item').first().filter({ hasText: 'E2E Alpha' }).waitFor();
    await page.reload();
    await openHistory(420);
    const first = page.locator('.history-item').first();
    assert((await first.textContent()).includes('E2E Alpha'), `first row after reload: ${await first.textContent()}`);
    assert((await first.getByRole('img', { name: 'Pinned' }).count()) === 1, 'no pin mark on the pinned chat');
    const list = await api('GET', '/perch/chats');
    assert(list.chats[0].id === ids['E2E Alpha'] && list.chats[0].pinned, `server list: ${JSON.stringify(list.chats[0])}`);
  });

  await step('history: two chats deleted with one confirmation and one request', async () => {
    const deletes = [];
    const onReq = (r) => {
      if (/\/perch\/chats(\/\d+|\/delete)$/.test(r.url()) && ['DELETE', 'POST'].includes(r.method())) deletes.push(`${r.method()} ${new URL(r.url()).pathname}`);
    };
    page.on('request', onReq);
    const before = (await api('GET', '/perch/chats')).chats.length;
    await page.getByRole('button', { name: 'Select chats' }).click();
    await page.getByRole('checkbox', { name: 'Select “E2E Beta”' }).check();
    await page.getByRole('checkbox', { name: 'Select “E2E Gamma”' }).check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('group', { name: 'Delete 2 chats? This cannot be undone.' }).getByRole('button', { name: 'Delete' }).click();
    await page.locator('.history-item', { hasText: 'E2E Gamma' }).waitFor({ state: 'detached' });
    page.off('request', onReq);
    const after = (await api('GET', '/perch/chats')).chats;
    assert(after.length === before - 2, `${before} chats before, ${after.length} after`);
    assert(after.some((c) => c.id === ids['E2E Alpha']), 'the chat not selected was deleted');
    assert(deletes.length === 1 && deletes[0] === 'POST /perch/chats/delete', `requests: ${deletes.join(', ')}`);
  });

  await step('history: pin and select mode, screenshots and axe-core', async () => {
    await page.goto(`${url}/#/chat`);
    await variants('history-pin-select', async (lang, w) => {
      await openHistory(w);
      await page.getByRole('button', { name: lang === 'ko' ? '채팅 선택' : 'Select chats' }).click();
      await page.locator('.history-check').first().check();
    });
  });

  await step('settings: the KV cache type is saved and read back', async () => {
    await page.goto(`${url}/#/settings`);
    await page.getByLabel('KV cache type').selectOption('q8_0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const sv = await api('GET', '/perch/settings');
    assert(sv.settings.kv_type === 'q8_0' && !sv.restart_needed.includes('kv_type'), `settings after save: ${JSON.stringify(sv)}`);
    await page.reload();
    assert((await page.getByLabel('KV cache type').inputValue()) === 'q8_0', 'the KV cache type did not survive a reload');
    await api('PUT', '/perch/settings', { kv_type: 'f16' });
  });

  await step('settings: the Hugging Face token is kept and never shown whole', async () => {
    await page.goto(`${url}/#/settings`);
    await page.reload();
    const input = page.getByLabel('Hugging Face token');
    await input.fill('hf_e2eSecretToken9876');
    await page.getByRole('button', { name: 'Save token' }).click();
    await page.getByText('Set, ending in 9876').waitFor();
    const html = await page.content();
    assert(!html.includes('hf_e2eSecretToken9876'), 'the page holds the whole token');
    const v = await api('GET', '/perch/settings/hf-token');
    assert(v.set && v.last4 === '9876' && !JSON.stringify(v).includes('Secret'), `hf-token view: ${JSON.stringify(v)}`);
    const s = await api('GET', '/perch/settings');
    assert(!JSON.stringify(s).includes('hf_e2e'), 'the token is in the settings');
  });

  await step('settings: storage, screenshots and axe-core', async () => {
    const st = await api('GET', '/perch/settings/storage');
    assert(st.dirs.some((d) => d.kind === 'downloads') && st.dirs.some((d) => d.kind === 'folder' && d.used_bytes > 0), `storage: ${JSON.stringify(st)}`);
    await page.goto(`${url}/#/settings`);
    await variants('settings-storage', async (lang) => {
      await page.getByLabel(lang === 'ko' ? '새 모델을 내려받을 폴더' : 'Download new models to').scrollIntoViewIfNeeded();
    });
    await variants('settings-token-cache', async (lang) => {
      await page.getByLabel(lang === 'ko' ? 'KV 캐시 형식' : 'KV cache type').scrollIntoViewIfNeeded();
    });
    await api('DELETE', '/perch/settings/hf-token');
  });
}
