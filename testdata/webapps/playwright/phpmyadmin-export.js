// The Playwright reference for testdata/webapps/scripts/phpmyadmin-export*.yaml:
// the same flows, written as an engineer would write them in Playwright,
// with the waits they need to be reliable. It prints one JSON line per run:
// {"flow", "ok", "ms", "bytes", "error"}.
//
//   PMA_URL=http://127.0.0.1:PORT PMA_USER=ferry PMA_PASSWORD=... \
//   FLOW=tree|direct RUNS=20 node phpmyadmin-export.js
//
// common.js loads playwright-core (from hack/webapps.sh's cache) and
// drives Debian's chromium (CHROMIUM overrides); RUNS=N or STDIN=1.
const { main, saveDownload } = require('./common');

const base = process.env.PMA_URL;
const user = process.env.PMA_USER || 'ferry';
const password = process.env.PMA_PASSWORD;
const flow = process.env.FLOW || 'tree';
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
  return saveDownload(page, () => page.getByRole('button', { name: 'Export' }).click());
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

main('phpmyadmin-export-' + flow, flows[flow]).catch((e) => { console.error(e); process.exit(1); });
