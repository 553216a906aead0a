// The Playwright reference for testdata/webapps/scripts/phpmyadmin-export*.yaml:
// the same flows, written as an engineer would write them in Playwright,
// with the waits they need to be reliable. It prints one JSON line per run:
// {"flow", "ok", "ms", "bytes", "error"}.
//
//   PMA_URL=http://127.0.0.1:PORT PMA_USER=ferry PMA_PASSWORD=... \
//   FLOW=tree|direct RUNS=20 node phpmyadmin-export.js
//
// playwright-core comes from hack/webapps.sh's cache (or this directory's
// node_modules); the browser is Debian's chromium (CHROMIUM overrides).
const path = require('path');
const os = require('os');

function playwright() {
  const cache = process.env.FERRY_WEBAPPS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ferry-webapps');
  for (const p of [path.join(__dirname, 'node_modules', 'playwright-core'), path.join(cache, 'playwright', 'node_modules', 'playwright-core')]) {
    try { return require(p); } catch (e) { if (e.code !== 'MODULE_NOT_FOUND') throw e; }
  }
  throw new Error('playwright-core is not installed: run hack/webapps.sh');
}

const base = process.env.PMA_URL;
const user = process.env.PMA_USER || 'ferry';
const password = process.env.PMA_PASSWORD;
const flow = process.env.FLOW || 'tree';
const runs = Number(process.env.RUNS || 1);
const width = Number(process.env.WIDTH || 1280);
const height = Number(process.env.HEIGHT || 900);
if (!base || !password) {
  console.error('set PMA_URL and PMA_PASSWORD');
  process.exit(2);
}

async function login(page) {
  await page.goto(base + '/index.php');
  await page.getByLabel('Username:').fill(user);
  await page.getByLabel('Password:').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  // Either the error or the logged-in navigation pane.
  const denied = page.locator('#login_form .alert-danger');
  const home = page.locator('#pma_navigation a.logout');
  await denied.or(home).first().waitFor();
  if (await denied.isVisible()) throw new Error('credentials rejected');
}

async function exportCSV(page) {
  await page.locator('select#plugins').selectOption('csv');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export' }).click(),
  ]);
  const file = path.join(os.tmpdir(), `pma-${process.pid}-${Date.now()}.csv`);
  await download.saveAs(file);
  const size = require('fs').statSync(file).size;
  require('fs').unlinkSync(file);
  return size;
}

const flows = {
  // As a person clicks: the tree, the table, the Export tab.
  async tree(page) {
    await login(page);
    const tree = page.locator('#pma_navigation_tree');
    await tree.locator('a.hover_show_full', { hasText: /^ledger$/ }).click();
    await page.locator('#server-breadcrumb').getByText('Database:').waitFor();
    await tree.locator('a.hover_show_full[href*="table=transactions"]').click();
    // The table's page arrives by XHR: its breadcrumb names the table.
    await page.locator('#server-breadcrumb a[href*="table=transactions"]').waitFor();
    const toggle = page.locator('#topmenucontainer button.navbar-toggler');
    if (await toggle.isVisible()) await toggle.click();
    await page.locator('#topmenu a[href*="route=/table/export"]').click();
    await page.locator('select#plugins').waitFor();
    return exportCSV(page);
  },
  // The export page by its URL, as phpmyadmin-export-direct.yaml does.
  async direct(page) {
    await login(page);
    await page.goto(base + '/index.php?route=/table/export&db=ledger&table=transactions');
    return exportCSV(page);
  },
};

(async () => {
  const { chromium } = playwright();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: process.getuid() === 0 ? ['--no-sandbox'] : [] });
  let failed = 0;
  for (let i = 0; i < runs; i++) {
    // A fresh context per run, as Ferry opens an incognito context per run.
    const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const t0 = Date.now();
    let bytes = 0;
    let error = '';
    try {
      bytes = await flows[flow](page);
    } catch (e) {
      error = String(e.message || e).split('\n')[0];
      failed++;
    }
    console.log(JSON.stringify({ flow, ok: !error, ms: Date.now() - t0, bytes, error }));
    await context.close();
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
