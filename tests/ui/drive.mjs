// Drives the official SelfCommunity course screens (the page build.mjs bundled) in Debian's Chromium
// against a live Course API, one scenario after another, and prints what happened as JSON:
//
//   node drive.mjs CONFIG.json
//
// CONFIG: {bundle, pagePort, portal, shots, waitMs, tokens: {creator, member}, data: {...}, only?: [names]}.
// The page is served from http://127.0.0.1:<pagePort>, the API from `portal`: two origins, so every
// call is a real cross-origin request (nothing is routed: Playwright's routing would answer CORS
// preflights itself). Host names resolve to nothing, so the page reaches only loopback.
// Per scenario the report holds: the API calls (method, URL, status, count), console errors with
// the URL they name, page errors, failed requests, whether the screen was blank, the step that
// failed, and the screenshot's path.
import {readFileSync, createReadStream, existsSync, statSync} from 'node:fs';
import {createServer} from 'node:http';
import {extname, join, normalize} from 'node:path';
import {chromium} from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const WAIT = config.waitMs ?? 15000;
const PAGE_ORIGIN = `http://127.0.0.1:${config.pagePort}`;
const API = config.portal; // http://127.0.0.1:<port>, without /api/v2: the SDK's paths carry it
const D = config.data;

const TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf'};
const server = createServer((request, response) => {
  const path = normalize(new URL(request.url, PAGE_ORIGIN).pathname).replace(/^\/+/, '') || 'index.html';
  const file = join(config.bundle, path);
  if (!file.startsWith(config.bundle) || !existsSync(file) || !statSync(file).isFile()) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store'});
  createReadStream(file).pipe(response);
});
await new Promise((resolve) => server.listen(config.pagePort, '127.0.0.1', resolve));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});

class StepFailed extends Error {}

// One scenario's page, its records, and the helpers the scenarios below are written with.
class Run {
  constructor(name, page) {
    this.name = name;
    this.page = page;
    this.calls = new Map();
    this.consoleErrors = [];
    this.pageErrors = [];
    this.failedRequests = [];
    this.steps = [];
    page.on('response', (response) => {
      const request = response.request();
      if (!request.url().startsWith(API)) return;
      const key = `${request.method()} ${request.url()} ${response.status()}`;
      const call = this.calls.get(key) ?? {method: request.method(), url: request.url(), status: response.status(), count: 0, body: null};
      call.count += 1;
      if (response.status() >= 400 && call.body === null) {
        call.body = '';
        response.text().then((text) => { call.body = text.slice(0, 600); }, () => {});
      }
      this.calls.set(key, call);
    });
    page.on('requestfailed', (request) => {
      this.failedRequests.push({method: request.method(), url: request.url(), error: request.failure()?.errorText ?? ''});
    });
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push({text: message.text().slice(0, 1000), url: message.location()?.url ?? ''});
    });
    page.on('pageerror', (error) => this.pageErrors.push(String(error?.stack ?? error).slice(0, 1500)));
    this.rejectedCalls = [];
  }

  // A call the components make without catching its failure (axios rejects on every 4xx) surfaces as
  // an unhandled rejection: record it with the URL it was for, so the test can tell ours from others.
  async watchRejections() {
    await this.page.exposeFunction('__uiRejectedCall', (call) => this.rejectedCalls.push(call));
    await this.page.addInitScript(() => {
      window.addEventListener('unhandledrejection', (event) => {
        const reason = event.reason;
        if (!reason?.isAxiosError) return;
        event.preventDefault();
        const base = (reason.config?.baseURL ?? '').replace(/\/$/, '');
        const url = reason.config?.url ?? '';
        window.__uiRejectedCall({
          method: (reason.config?.method ?? '').toUpperCase(),
          url: /^https?:/.test(url) ? url : base + url,
          status: reason.response?.status ?? null,
          message: String(reason.message),
        });
      });
    });
  }

  async open(screen, params, user) {
    const query = new URLSearchParams({screen, portal: API, token: config.tokens[user], ...params});
    await this.step(`open the ${screen} screen as the ${user}`, () => this.page.goto(`${PAGE_ORIGIN}/?${query}`, {waitUntil: 'load', timeout: WAIT}));
  }

  async step(description, action) {
    this.steps.push(description);
    try {
      return await action();
    } catch (error) {
      throw new StepFailed(`${description}: ${String(error?.message ?? error).split('\n')[0]}`);
    }
  }

  // Waits for the UI to call the API (a matching answer), with a time cap.
  async call(description, method, pattern, action) {
    return this.step(description, async () => {
      const answered = this.page.waitForResponse(
        (response) => response.request().method() === method && response.url().startsWith(API) && pattern.test(response.url().slice(API.length)),
        {timeout: WAIT},
      );
      await action();
      const response = await answered;
      return response;
    });
  }

  visible(selector, description) {
    return this.step(description ?? `see ${selector}`, () => this.page.locator(selector).first().waitFor({state: 'visible', timeout: WAIT}));
  }

  async text(text, description) {
    return this.step(description ?? `see the text "${text}"`, () => this.page.getByText(text, {exact: false}).first().waitFor({state: 'visible', timeout: WAIT}));
  }

  report() {
    return {
      calls: [...this.calls.values()],
      consoleErrors: this.consoleErrors,
      pageErrors: this.pageErrors,
      rejectedCalls: this.rejectedCalls,
      failedRequests: this.failedRequests,
      steps: this.steps,
    };
  }
}

// The section name field hands its text on through a 300 ms debounce: a save clicked sooner sends
// the old name. Nothing in the page shows when it has passed, hence the fixed pause.
async function typeInto(input, text) {
  await input.fill(text, {timeout: WAIT});
  await input.page().waitForTimeout(500);
}

const COURSE = (id) => new RegExp(`^/api/v2/course/${id}/(\\?|$)`);
const SECTIONS = (id) => new RegExp(`^/api/v2/course/${id}/section/(\\?|$)`);
const SECTION = (id) => new RegExp(`^/api/v2/course/${id}/section/\\d+/(\\?|$)`);
const SEARCH = /^\/api\/v2\/course\/search\/\?/;

// Each scenario: what it does in the official screens, with the calls it must see answered.
const SCENARIOS = {
  async list(run) {
    await run.call('list the courses', 'GET', SEARCH, () => run.open('courses', {}, 'creator'));
    await run.visible('.SCCourses-root', 'see the course list');
    await run.text(D.listedCourse, 'see a course card with its name');
  },

  async search(run) {
    await run.open('courses', {}, 'creator');
    await run.visible('.SCCourses-search input', 'see the search field');
    await run.step('type a search term', () => run.page.locator('.SCCourses-search input').fill(D.searchTerm));
    const response = await run.call('search by pressing Enter', 'GET', /^\/api\/v2\/course\/search\/\?.*search=/, () =>
      run.page.locator('.SCCourses-search input').press('Enter'),
    );
    await run.step('the search answer lists the course searched for', async () => {
      const names = (await response.json()).results.map((course) => course.name);
      if (!names.includes(D.searchedCourse)) throw new Error(`results: ${JSON.stringify(names)}`);
    });
    await run.text(D.searchedCourse, 'see the course found');
  },

  async 'filter managed by me'(run) {
    await run.open('courses', {}, 'creator');
    await run.visible('.SCCourses-filters .MuiChip-root', 'see the filter chips');
    await run.call('click "managed by me"', 'GET', /^\/api\/v2\/course\/search\/\?.*statuses=/, () =>
      run.page.locator('.SCCourses-filters .MuiChip-root').first().click(),
    );
    await run.text(D.listedCourse, 'see a course the creator manages');
  },

  async 'filter my courses'(run) {
    await run.open('courses', {}, 'member');
    await run.visible('.SCCourses-filters .MuiChip-root', 'see the filter chips');
    await run.call('click "my courses"', 'GET', /^\/api\/v2\/course\/search\/\?.*statuses=/, () =>
      run.page.locator('.SCCourses-filters .MuiChip-root').last().click(),
    );
    await run.text(D.joinedCourse, 'see the course the member joined');
  },

  async 'filter by category'(run) {
    await run.open('courses', {}, 'creator');
    await run.visible('.SCCourses-category input', 'see the category field');
    await run.step('open the category list', () => run.page.locator('.SCCourses-category input').click());
    await run.visible(`[role="option"]:has-text("${D.categoryName}")`, 'see the category among the options');
    await run.call('choose the category', 'GET', /^\/api\/v2\/course\/search\/\?.*categories=/, () =>
      run.page.locator(`[role="option"]:has-text("${D.categoryName}")`).first().click(),
    );
    await run.text(D.categorisedCourse, 'see the course of that category');
  },

  async 'create a course with a cover'(run) {
    await run.open('create', {}, 'creator');
    await run.step('click "create course"', () => run.page.locator('.SCCreateCourseButton-root').click({timeout: WAIT}));
    await run.visible('.SCCourseForm-root', 'see the course form');
    await run.step('choose the self-paced type', () => run.page.locator('.SCCourseForm-root .MuiCardActionArea-root').first().click({timeout: WAIT}));
    await run.step('go to the second step', () => run.page.locator('.SCCourseForm-actions button').last().click({timeout: WAIT}));
    await run.visible('.SCCourseForm-root input[name="name"]', 'see the name field');
    await run.step('choose a cover', () => run.page.locator('.SCCourseForm-root input[type="file"]').first().setInputFiles(D.coverFile));
    await run.step('type a name', () => run.page.locator('.SCCourseForm-root input[name="name"]').fill(D.newCourseName));
    await run.step('type a description', () => run.page.locator('.SCCourseForm-root textarea[name="description"]').first().fill('Made in the browser.'));
    const response = await run.call('submit the form', 'POST', /^\/api\/v2\/course\/$/, () =>
      run.page.locator('.SCCourseForm-actions button').last().click({timeout: WAIT}),
    );
    await run.step('the course was created with its cover', async () => {
      const body = await response.json();
      if (response.status() !== 201 || !body.image_big || body.name !== D.newCourseName) throw new Error(`${response.status()} ${JSON.stringify(body).slice(0, 300)}`);
    });
  },

  async 'customise and save'(run) {
    await run.call('open the course to customise', 'GET', COURSE(D.editCourse), () => run.open('edit', {course: D.editCourse, tab: 'customize'}, 'creator'));
    await run.visible('.SCCourseForm-root textarea[name="description"]', 'see the description field');
    await run.step('change the description', () => run.page.locator('.SCCourseForm-root textarea[name="description"]').first().fill('Customised in the browser.'));
    const response = await run.call('save', 'PATCH', COURSE(D.editCourse), () => run.page.locator('.SCCourseForm-actions button').last().click({timeout: WAIT}));
    await run.step('the description was saved', async () => {
      const body = await response.json();
      if (body.description !== 'Customised in the browser.') throw new Error(JSON.stringify(body).slice(0, 300));
    });
  },

  async 'add, rename, reorder and delete sections'(run) {
    await run.call('open the lessons tab', 'GET', COURSE(D.editCourse), () => run.open('edit', {course: D.editCourse, tab: 'lessons'}, 'creator'));
    await run.text(D.firstSection, 'see the first section');
    const rows = run.page.locator('.SCEditCourse-table-body-accordion');
    const before = await rows.count();
    await run.step('click "add section"', () => run.page.locator('.SCEditCourse-lessons-sections-wrapper .SCEditCourse-section-button').first().click({timeout: WAIT}));
    await run.step('type the new section\'s name', () => typeInto(run.page.locator('.SCEditCourse-edit-mode-wrapper input').first(), 'Added in the browser'));
    await run.call('save the new section', 'POST', SECTIONS(D.editCourse), () => run.page.locator('.SCEditCourse-edit-mode-save-button').first().click({timeout: WAIT}));
    await run.text('Added in the browser', 'see the new section');
    const added = rows.filter({hasText: 'Added in the browser'});
    await run.step('open the new section\'s menu', () => added.locator('.SCEditCourse-actions-wrapper button').last().click({timeout: WAIT}));
    await run.step('choose "rename"', () => run.page.locator('[role="menuitem"]').first().click({timeout: WAIT}));
    await run.step('type the new name', () => typeInto(run.page.locator('.SCEditCourse-edit-mode-wrapper input').first(), 'Renamed in the browser'));
    await run.call('save the name', 'PATCH', SECTION(D.editCourse), () => run.page.locator('.SCEditCourse-edit-mode-save-button').first().click({timeout: WAIT}));
    await run.text('Renamed in the browser', 'see the renamed section');
    // @hello-pangea/dnd's keyboard dragging: space lifts the focused handle, an arrow moves it, space drops it.
    await run.call('move the first section down (keyboard drag)', 'PATCH', COURSE(D.editCourse), async () => {
      const handle = rows.first().locator('th[data-rfd-drag-handle-draggable-id]');
      await handle.focus();
      await run.page.keyboard.press('Space');
      await run.page.waitForTimeout(300);
      await run.page.keyboard.press('ArrowDown');
      await run.page.waitForTimeout(300);
      await run.page.keyboard.press('Space');
    });
    // The table re-renders in the new order once the PATCH is answered; act on it only after that.
    await run.step('see the second section first', () => rows.first().filter({hasText: D.secondSection}).waitFor({timeout: WAIT}));
    const renamed = rows.filter({hasText: 'Renamed in the browser'});
    await run.step('open the renamed section\'s menu', () => renamed.locator('.SCEditCourse-actions-wrapper button').last().click({timeout: WAIT}));
    await run.step('choose "delete"', () => run.page.locator('[role="menuitem"]').last().click({timeout: WAIT}));
    await run.call('confirm the deletion', 'DELETE', SECTION(D.editCourse), () => run.page.locator('[role="dialog"] button').last().click({timeout: WAIT}));
    await run.step('the section is gone', () => run.page.getByText('Renamed in the browser').waitFor({state: 'detached', timeout: WAIT}));
    await run.step('as many sections as before', async () => {
      const after = await rows.count();
      if (after !== before) throw new Error(`${before} sections before, ${after} after`);
    });
  },

  async 'set a release delay'(run) {
    await run.call('open the structured course', 'GET', COURSE(D.structuredCourse), () => run.open('edit', {course: D.structuredCourse, tab: 'lessons'}, 'creator'));
    await run.visible('.SCLessonReleaseMenu-root', 'see the release menu');
    await run.step('open the release menu', () => run.page.locator('.SCLessonReleaseMenu-root input').first().click({timeout: WAIT}));
    await run.visible('.SCLessonReleaseMenu-popover-selection input', 'see the delay field');
    await run.step('type a delay of 14 days', () => run.page.locator('.SCLessonReleaseMenu-popover-selection input').first().fill('14'));
    const response = await run.call('click "done"', 'PATCH', SECTION(D.structuredCourse), () => run.page.locator('.MuiPopover-root button:not([disabled])').last().click({timeout: WAIT}));
    await run.step('the delay was saved', async () => {
      const body = await response.json();
      if (body.drip_delay !== 14) throw new Error(JSON.stringify(body).slice(0, 300));
    });
  },

  async 'open a course as its creator'(run) {
    await run.call('open the teacher dashboard', 'GET', /^\/api\/v2\/course\/\d+\/\?.*view=dashboard/, () => run.open('teacher', {course: D.memberCourse}, 'creator'));
    await run.text(D.memberCourseName, 'see the course name');
    await run.call('open the editor', 'GET', /^\/api\/v2\/course\/\d+\/\?.*view=edit/, () => run.open('edit', {course: D.memberCourse}, 'creator'));
    await run.text(D.memberSection, 'see its section in the editor');
  },

  async 'open a course as a member'(run) {
    await run.call('open the student dashboard', 'GET', COURSE(D.memberCourse), () => run.open('student', {course: D.memberCourse}, 'member'));
    await run.text(D.memberCourseName, 'see the course name');
    await run.text(D.memberSection, 'see its section');
  },

  async 'read and complete a lesson'(run) {
    await run.call('open the lesson', 'GET', /^\/api\/v2\/course\/\d+\/section\/\d+\/lesson\/\d+\//, () =>
      run.open('lesson', {course: D.memberCourse, section: D.memberSectionId, lesson: D.memberLesson}, 'member'),
    );
    await run.text(D.lessonText, 'see the lesson text');
    await run.call('mark it completed', 'POST', /^\/api\/v2\/course\/\d+\/section\/\d+\/lesson\/\d+\/complete\/$/, () =>
      run.page.locator('.SCLessonTemplate-button').first().click({timeout: WAIT}),
    );
  },

  async 'members and requests'(run) {
    await run.call('open the members tab', 'GET', /^\/api\/v2\/course\/\d+\/users\/(\?|$)/, () => run.open('edit', {course: D.privateCourse, tab: 'users'}, 'creator'));
    await run.text(D.memberName, 'see the member');
    await run.call('open the requests tab', 'GET', /^\/api\/v2\/course\/\d+\/request_join\/(\?|$)/, () => run.open('edit', {course: D.privateCourse, tab: 'requests'}, 'creator'));
    await run.text(D.requesterName, 'see the user who asked to join');
    await run.call('accept the request', 'POST', /^\/api\/v2\/course\/\d+\/invite\/$/, () =>
      run.page.locator('.SCEditCourse-root tr').filter({hasText: D.requesterName}).locator('.SCCourseUsersTable-request-button-wrapper button').first().click({timeout: WAIT}),
    );
  },
};

const results = [];
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  if (config.only && !config.only.includes(name)) continue;
  const context = await browser.newContext({viewport: {width: 1280, height: 900}, serviceWorkers: 'block'});
  const page = await context.newPage();
  const run = new Run(name, page);
  await run.watchRejections();
  const result = {name, ok: true, error: null};
  const started = Date.now();
  try {
    await scenario(run);
  } catch (error) {
    result.ok = false;
    result.error = error instanceof StepFailed ? error.message : String(error?.stack ?? error);
  }
  // Calls still in flight (and loops retrying) show up in the record: give them a moment, capped.
  await page.waitForTimeout(500);
  result.blank = await page
    .evaluate(() => {
      const screen = document.getElementById('screen');
      return !screen || screen.innerText.trim() === '';
    })
    .catch(() => true);
  result.screenshot = join(config.shots, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
  await page.screenshot({path: result.screenshot, fullPage: true}).catch((error) => { result.screenshotError = String(error); });
  result.seconds = (Date.now() - started) / 1000;
  Object.assign(result, run.report());
  results.push(result);
  await context.close();
}
await browser.close();
server.close();
console.log(JSON.stringify({scenarios: results}, null, 2));
