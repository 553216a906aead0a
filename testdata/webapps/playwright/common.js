// Shared by the Playwright reference flows: loads playwright-core, launches
// Debian's chromium once, and runs a flow in a fresh context per run (as
// Ferry opens an incognito context per run), printing one JSON line per
// run: {"flow", "ok", "ms", "bytes", "error"}. ms counts from the new
// context to the file on disk.
//
// RUNS=N runs the flow N times in a row. STDIN=1 runs it once for every
// line read from standard input, which is how internal/webapps alternates
// it with Ferry's runs (BenchmarkVersusPlaywright).
const path = require('path');
const os = require('os');
const fs = require('fs');
const readline = require('readline');

function playwright() {
  const cache = process.env.FERRY_WEBAPPS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ferry-webapps');
  for (const p of [path.join(__dirname, 'node_modules', 'playwright-core'), path.join(cache, 'playwright', 'node_modules', 'playwright-core')]) {
    try { return require(p); } catch (e) { if (e.code !== 'MODULE_NOT_FOUND') throw e; }
  }
  throw new Error('playwright-core is not installed: run hack/webapps.sh');
}

// saveDownload waits for the download the click starts and returns its
// size in bytes (the file is deleted).
async function saveDownload(page, click) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = path.join(os.tmpdir(), `ferry-pw-${process.pid}-${Date.now()}`);
  await download.saveAs(file);
  const size = fs.statSync(file).size;
  fs.unlinkSync(file);
  return size;
}

async function main(name, flow) {
  const width = Number(process.env.WIDTH || 1280);
  const height = Number(process.env.HEIGHT || 900);
  const timeout = Number(process.env.TIMEOUT_MS || 15000);
  const { chromium } = playwright();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: process.getuid() === 0 ? ['--no-sandbox'] : [] });
  let failed = 0;
  const once = async () => {
    const t0 = Date.now();
    const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    let bytes = 0;
    let error = '';
    try {
      bytes = await flow(page);
    } catch (e) {
      error = String(e.message || e).split('\n')[0];
      failed++;
    }
    const ms = Date.now() - t0;
    await context.close();
    console.log(JSON.stringify({ flow: name, ok: !error, ms, bytes, error }));
  };
  if (process.env.STDIN) {
    for await (const _ of readline.createInterface({ input: process.stdin })) await once();
  } else {
    const runs = Number(process.env.RUNS || 1);
    for (let i = 0; i < runs; i++) await once();
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
}

module.exports = { playwright, saveDownload, main };
