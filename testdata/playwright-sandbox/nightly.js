// The sandbox bank's nightly statement flow in Playwright: the reference
// Ferry's engine is measured against (bots/inject_playwright_test.go).
// Same flow as scripts/demobank-statements.yaml: log in, for each account
// search the period, read every result page, download XLSX, CSV and PDF.
// It uses the waits the flow needs to be reliable: network idle after
// each navigation, a wait for the page number after each page turn, and
// a wait for the results after each search.
//
// Usage: node nightly.js BASE_URL USER PASSWORD FROM TO
// playwright-core must be resolvable (NODE_PATH); CHROMIUM names the
// browser binary (default /usr/bin/chromium). It launches the browser
// once, then runs the flow once per line "run" on stdin, in a fresh
// context each time, and answers each with a JSON line
// {"ms": wall time, "files": n, "rows": n} or {"error": "..."}.
const { chromium } = require('playwright-core');
const readline = require('readline');

const [base, user, password, from, to] = process.argv.slice(2);

async function flow(browser) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let files = 0, rows = 0;
    await page.goto(base + '/login', { waitUntil: 'networkidle' });
    await page.fill('#user-id', user);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL('**/accounts', { waitUntil: 'networkidle' }), page.click('#login-button')]);
    await Promise.all([page.waitForURL('**/statements', { waitUntil: 'networkidle' }), page.click('#nav-statements')]);
    const accounts = await page.$$eval('#account-select option', (os) => os.map((o) => o.value));
    for (const acc of accounts) {
      await page.selectOption('#account-select', acc);
      await page.fill('#date-from', from);
      await page.fill('#date-to', to);
      await page.click('#search-button');
      await page.locator('#results').waitFor({ state: 'visible' });
      for (let p = 1; ; p++) {
        rows += await page.locator('#result-rows tr.result-row').count();
        if (await page.locator('#next-page').isDisabled()) break;
        await page.click('#next-page');
        await page.waitForFunction((n) => {
          const s = document.querySelector('#spinner');
          return s.hidden && document.querySelector('#page-info').textContent.includes('Page ' + n + ' of');
        }, p + 1, { polling: 'raf' });
      }
      for (const f of ['xlsx', 'csv', 'pdf']) {
        // Capture the file the click asks for, as Ferry does: take the
        // response, and keep the page where it is.
        let got;
        const done = new Promise((resolve) => { got = resolve; });
        await page.route(/\/download\?/, async (route) => {
          const r = await route.fetch();
          got(await r.body());
          await route.abort('aborted');
        });
        await page.click('#download-' + f);
        const body = await done;
        await page.unroute(/\/download\?/);
        if (!body.length) throw new Error('empty ' + f);
        files++;
      }
    }
    return { files, rows };
  } finally {
    await context.close();
  }
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
  const rl = readline.createInterface({ input: process.stdin });
  console.log(JSON.stringify({ ready: true }));
  for await (const line of rl) {
    if (line.trim() !== 'run') continue;
    const t0 = performance.now();
    try {
      const r = await flow(browser);
      console.log(JSON.stringify({ ms: performance.now() - t0, ...r }));
    } catch (e) {
      console.log(JSON.stringify({ error: String(e && e.message || e) }));
    }
  }
  await browser.close();
})();
