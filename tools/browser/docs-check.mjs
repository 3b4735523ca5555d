// Opens the served API reference in Debian's Chromium, offline, and reports what it found as JSON.
//
//   node docs-check.mjs URL SCREENSHOT [--wait-ms N] [--search TEXT]
//
// Every request that is not to 127.0.0.1 is refused and recorded, and the browser resolves no host
// name at all, so a page that still needs a CDN shows up in `offLoopback` (and fails to render)
// instead of quietly fetching it. Console errors, page errors and CSP violations are recorded too.
// Prints {operations: [{id, summary, method, path}], offLoopback, consoleErrors, pageErrors, cspViolations,
// search: {query, results}, ...}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, screenshot, ...rest] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node docs-check.mjs URL SCREENSHOT [--wait-ms N] [--search TEXT]');
  process.exit(2);
}
const waitIndex = rest.indexOf('--wait-ms');
const waitMs = waitIndex >= 0 ? Number(rest[waitIndex + 1]) : 30000;
const searchIndex = rest.indexOf('--search');
const searchFor = searchIndex >= 0 ? rest[searchIndex + 1] : null;

const LOOPBACK = '127.0.0.1';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Name resolution fails for every host: the page can only reach the loopback address it was given.
  `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${LOOPBACK}`,
];

const report = {
  url,
  title: null,
  operations: [],
  offLoopback: [],
  consoleErrors: [],
  pageErrors: [],
  cspViolations: [],
  failedRequests: [],
  rendered: false,
  screenshot,
};

function leavesLoopback(address) {
  const { protocol, hostname } = new URL(address);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return false;
  return hostname !== LOOPBACK;
}

// A fresh profile each run: nothing cached or remembered from an earlier page decides this one.
const profile = mkdtempSync(join(tmpdir(), 'docs-check-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 900 },
    serviceWorkers: 'block',
  });
  await context.route('**/*', (route) => {
    const address = route.request().url();
    if (leavesLoopback(address)) {
      report.offLoopback.push(address);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('websocket', (socket) => {
    if (leavesLoopback(socket.url().replace(/^ws/, 'http'))) report.offLoopback.push(socket.url());
  });

  const page = context.pages()[0] ?? (await context.newPage());
  // Runs outside the page's CSP (Playwright injects it), so it can report what that policy refused.
  await page.exposeFunction('__docsCheckViolation', (violation) => report.cspViolations.push(violation));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__docsCheckViolation({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: event.sourceFile,
        line: event.lineNumber,
        sample: event.sample,
      });
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') report.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => report.pageErrors.push(String(error)));
  page.on('requestfailed', (request) => {
    report.failedRequests.push({ url: request.url(), error: request.failure()?.errorText ?? '' });
  });

  const response = await page.goto(url, { waitUntil: 'load', timeout: waitMs });
  report.status = response?.status() ?? null;
  report.title = await page.title();
  // The served HTML is prerendered with the introduction only; Redoc renders each tag and each
  // operation as a route of its own (`#/<tag>/<operationid>`) once React has hydrated the page.
  await page.waitForFunction(
    () => Object.keys(document.getElementById('redoc') ?? {}).some((key) => key.startsWith('__reactContainer')),
    null,
    { timeout: waitMs },
  );
  report.rendered = true;
  const tags = await page.evaluate(() => {
    const names = [...document.querySelectorAll('a[href]')]
      .map((link) => link.getAttribute('href').match(/^#?\/([^/#?]+)$/)?.[1])
      .filter((name) => name && name !== 'section');
    return [...new Set(names)];
  });
  report.tags = tags;
  const operationLinks = [];
  for (const tag of tags) {
    await page.evaluate((hash) => { window.location.hash = hash; }, `#/${tag}`);
    // A section of notes alone (x-traitTag: conventions, retries...) lists no operation; the test
    // compares the operations found with the spec's, so one missed here still fails it.
    const listed = await page
      .waitForFunction((tag) => document.querySelector(`a[href^="#/${tag}/"]`), tag, { timeout: 5000 })
      .then(() => true, () => false);
    if (!listed) continue;
    const linksOf = (tag) => page.evaluate((tag) => {
      const pattern = new RegExp(`^#/${tag}/([^/#?]+)$`);
      return [...document.querySelectorAll('a[href]')].map((link) => link.getAttribute('href')).filter((href) => pattern.test(href));
    }, tag);
    // The menu of a tag fills in over several frames: read it until it stops growing, or a tag of
    // many operations is read with some of them missing.
    let links = await linksOf(tag);
    for (let before = -1, deadline = Date.now() + waitMs; links.length !== before && Date.now() < deadline; ) {
      before = links.length;
      await page.waitForTimeout(400);
      links = await linksOf(tag);
    }
    operationLinks.push(...new Set(links));
  }
  for (const link of [...new Set(operationLinks)]) {
    const id = link.slice(2);
    await page.evaluate((hash) => { window.location.hash = hash; }, link);
    const found = await page
      .waitForSelector(`[id="${id}"][data-item-kind="httpItem"]`, { timeout: waitMs })
      .then(() => true, () => false);
    const operation = { id, link, rendered: found };
    if (found) {
      Object.assign(operation, await page.evaluate((id) => {
        const element = document.getElementById(id);
        const text = (node) => (node?.textContent ?? '').trim();
        // The right panel's endpoint button reads "PATCH/course/{id}/": the method's tag, then the path.
        const method = text(element.querySelector('[data-testid="right-panel"] [data-component-name="Tag/Tag"]'));
        const endpoint = text(element.querySelector('[data-testid="right-panel"] [data-component-name="Button/Button"]'));
        return {
          summary: text(element.querySelector('h1, h2')),
          method,
          path: endpoint.startsWith(method) ? endpoint.slice(method.length) : endpoint,
        };
      }, id));
    }
    report.operations.push(operation);
  }
  // Search runs in the page (the CSP refuses the worker it would prefer): it must still find things.
  if (searchFor) {
    await page.evaluate(() => { window.location.hash = '#/'; });
    await page.click('[data-testid="search-trigger"]');
    await page.keyboard.type(searchFor);
    const results = await page
      .waitForSelector('[data-testid="search-dialog"] [data-component-name="Search/SearchItem"]', { timeout: waitMs })
      .then(() => page.$$eval('[data-testid="search-dialog"] [data-component-name="Search/SearchItem"]', (items) =>
        items.map((item) => (item.textContent ?? '').trim().slice(0, 200))), () => []);
    report.search = { query: searchFor, results };
    await page.keyboard.press('Escape');
  }
  await page.evaluate((hash) => { window.location.hash = hash; }, operationLinks[0] ?? '#/');
  // The sidebar animates as it follows the route; let it settle before the screenshot.
  await page.waitForTimeout(1500);
  await page.screenshot({ path: screenshot, fullPage: false });
} catch (error) {
  report.error = String(error?.stack ?? error);
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.error ? 1 : 0);
