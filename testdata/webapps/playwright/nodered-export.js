// The Playwright reference for testdata/webapps/scripts/nodered-export.yaml:
// the same flow on Node-RED's editor, written as an engineer would write it
// in Playwright, with the waits it needs to be reliable (Playwright's
// locators wait for their element; the route and the sidebar's text are
// waited for explicitly, as the bot does).
//
//   NR_URL=http://127.0.0.1:PORT NR_USER=ferry NR_PASSWORD=... RUNS=20 \
//   node nodered-export.js
const { main, saveDownload } = require('./common');

const base = process.env.NR_URL;
const user = process.env.NR_USER || 'ferry';
const password = process.env.NR_PASSWORD;
if (!base || !password) {
  console.error('set NR_URL and NR_PASSWORD');
  process.exit(2);
}

async function flow(page) {
  // The same 2 minutes as the bot's open (some forty scripts and styles).
  await page.goto(base + '/', { timeout: 120000 });
  await page.locator('#node-dialog-login-username').fill(user);
  await page.locator('#node-dialog-login-password').fill(password);
  await page.locator('#node-dialog-login-submit').click();
  // Either the failure or the editor, which loads once the token is in.
  const failed = page.locator('#node-dialog-login-failed');
  const tabs = page.locator('ul#red-ui-workspace-tabs');
  // The editor loads behind the dialog (about 1 MB of node definitions):
  // the same 2 minutes as the bot's branch.
  await failed.or(tabs).first().waitFor({ timeout: 120000 });
  if (await failed.isVisible()) throw new Error('credentials rejected');
  await page.locator('#red-ui-workspace-tabs li[flowname="Ledger"] a.red-ui-tab-label').click();
  await page.waitForURL(/#flow\/a1f0ledger000001$/);
  const help = page.locator('#red-ui-sidebar-content .red-ui-sidebar-info .red-ui-help');
  await help.getByText('Bank transactions of October 2026').waitFor();
  return saveDownload(page, () => help.getByRole('link', { name: 'Download transactions.csv' }).click());
}

main('nodered-export', flow).catch((e) => { console.error(e); process.exit(1); });
