// Helpers shared by cpom's end-to-end tests (node:test + playwright-core + axe-core).
//
// A test file typically does:
//
//   import { before, after, test } from 'node:test';
//   import { startServer, launchBrowser, withPage, signIn, checkA11y, DEMO_PASSWORD } from './lib.mjs';
//   let server, browser;
//   before(async () => { server = await startServer(); browser = await launchBrowser(); });
//   after(async () => { await browser?.close(); await server?.stop(); });
//   test('…', () => withPage(browser, 'my-test', async (page) => { … }));
//
// The server binary comes from CPOM_BIN, the browser is Debian's Chromium (CHROMIUM_PATH to
// use another one); playwright never downloads a browser here.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Where server logs and failure screenshots go (ignored by git). */
export const ARTIFACTS_DIR = path.join(HERE, 'artifacts');

/** Password of every demo account (`cpom demo` with CPOM_DEMO_PASSWORD). */
export const DEMO_PASSWORD = 'e2e-Password-2026!';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Turns a test name into a file name: "Connexion : erreur" -> "connexion-erreur". */
export function slug(name) {
  return (
    String(name)
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'page'
  );
}

/**
 * Starts `$CPOM_BIN demo` on a free port with a fresh data directory and waits until
 * `GET /readyz` answers 200 (60 s at most). Its stdout and stderr are appended to
 * `e2e/artifacts/server.log` (or `options.logFile`, relative to the artifacts folder).
 *
 * @param {{ logFile?: string, env?: Record<string, string> }} [options] extra environment
 *   variables are added to (and override) the defaults.
 * @returns {Promise<{ baseUrl: string, dataDir: string, logPath: string, stop(): Promise<void> }>}
 */
export async function startServer(options = {}) {
  const bin = process.env.CPOM_BIN;
  if (!bin) {
    throw new Error(
      'CPOM_BIN is not set: give the path of the cpom binary, e.g. `cargo build && CPOM_BIN=target/debug/cpom node --test e2e/`',
    );
  }
  const binPath = path.resolve(bin);

  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const logPath = path.join(ARTIFACTS_DIR, options.logFile ?? 'server.log');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cpom-e2e-'));
  const port = await freePort();
  const bind = `127.0.0.1:${port}`;
  const baseUrl = `http://${bind}`;

  const log = createWriteStream(logPath, { flags: 'a' });
  const testFile = process.argv[1] ? path.relative(process.cwd(), process.argv[1]) : '?';
  log.write(`\n===== ${new Date().toISOString()} ${binPath} demo on ${bind} (data ${dataDir}, test ${testFile})\n`);

  const child = spawn(binPath, ['demo'], {
    env: {
      ...process.env,
      CPOM_DATA_DIR: dataDir,
      CPOM_BIND: bind,
      CPOM_DEMO_PASSWORD: DEMO_PASSWORD,
      RUST_LOG: 'warn',
      ...(options.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  let exited = null; // { code, signal } once the process has ended
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  let spawnError = null;
  child.once('error', (err) => {
    spawnError = err;
  });
  // Never leave a server behind if the test process ends abruptly.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (!exited && !spawnError) {
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exitPromise.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
      if (timedOut) {
        log.write(`===== no exit ${STOP_TIMEOUT_MS} ms after SIGTERM: SIGKILL\n`);
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    await new Promise((resolve) => log.end(resolve));
    await rm(dataDir, { recursive: true, force: true });
  }

  const logTail = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`cannot start ${binPath}: ${spawnError.message}`);
    }
    if (exited) {
      await stop();
      throw new Error(
        `${binPath} demo exited (code ${exited.code}, signal ${exited.signal}) before /readyz answered; end of ${logPath}:\n${logTail()}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `GET /readyz answered ${res.status}`;
    } catch (err) {
      lastProblem = `GET /readyz: ${err.cause?.code ?? err.message}`;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `${binPath} demo not ready after ${READY_TIMEOUT_MS / 1000} s (${lastProblem}); end of ${logPath}:\n${logTail()}`,
      );
    }
    await sleep(250);
  }

  return { baseUrl, dataDir, logPath, stop };
}

/** Headless Chromium (Debian's /usr/bin/chromium unless CHROMIUM_PATH says otherwise). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a full-page screenshot to e2e/artifacts/<slug(name)>.png and returns its path (null if it failed). */
export async function saveScreenshot(page, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${slug(name)}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
    return file;
  } catch (err) {
    console.warn(`screenshot ${file} failed: ${err.message}`);
    return null;
  }
}

/**
 * Runs `fn(page, context)` in a fresh browser context (own cookies: signed out), French
 * locale, 1280×900. If `fn` throws, a screenshot goes to e2e/artifacts/<slug(name)>.png and
 * the error is rethrown. The context is always closed.
 */
export async function withPage(browser, name, fn, contextOptions = {}) {
  const context = await browser.newContext({
    locale: 'fr-FR',
    viewport: { width: 1280, height: 900 },
    ...contextOptions,
  });
  const page = await context.newPage();
  try {
    return await fn(page, context);
  } catch (err) {
    const shot = await saveScreenshot(page, name);
    if (shot && err instanceof Error) err.message += `\n(screenshot: ${shot})`;
    throw err;
  } finally {
    await context.close();
  }
}

const require = createRequire(import.meta.url);
let axeSource = null;

/**
 * Runs axe-core on the page. Throws an Error listing every `serious` or `critical`
 * violation (rule id, impact, help, first 3 targets); `minor` and `moderate` ones are
 * printed as warnings. Returns the list of all violations.
 */
export async function checkA11y(page, label) {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    try {
      await page.addScriptTag({ content: axeSource });
    } catch {
      // handled below
    }
    // cpom's Content-Security-Policy (script-src 'self') blocks inline <script>: then
    // evaluate the source through the DevTools protocol, which CSP does not apply to.
    if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
      await page.evaluate(`${axeSource}\n;undefined`);
    }
  }
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
      count: v.nodes.length,
    }));
  });
  const describe = (v) =>
    `  - ${v.id} [${v.impact}] ${v.help} (${v.count} node(s): ${v.targets.join(' | ')}${v.count > 3 ? ' …' : ''})`;
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const others = violations.filter((v) => !blocking.includes(v));
  if (others.length) {
    console.warn(`axe on « ${label} » (${page.url()}): ${others.length} minor/moderate violation(s)\n${others.map(describe).join('\n')}`);
  }
  if (blocking.length) {
    throw new Error(
      `axe on « ${label} » (${page.url()}): ${blocking.length} serious/critical violation(s)\n${blocking.map(describe).join('\n')}`,
    );
  }
  return violations;
}

/**
 * Signs in through the form at /connexion; resolves with the response of the page reached
 * after submitting (the home page, or the form again with an error).
 */
export async function signIn(page, baseUrl, email, password) {
  await page.goto(`${baseUrl}/connexion`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Se connecter' }).click(),
  ]);
  return response;
}
