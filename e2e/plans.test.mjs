// Action plans: `cpom demo` loads the plan of seed 000 (ARS PACA – Assurance maladie
// 2018-2023). The national administrator opens it from the menu, reads its timeline and
// counts, and keeps the late items only. Every page is checked with axe-core.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { checkA11y, DEMO_PASSWORD, launchBrowser, signIn, startServer, withPage } from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ logFile: 'plans.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("plans d'actions", () => {
  test("l'administrateur national lit le plan de démonstration et n'en garde que les retards", async () => {
    await withPage(browser, 'plan', async (page) => {
      await signIn(page, server.baseUrl, 'national-admin@cpom.demo', DEMO_PASSWORD);
      await page.getByRole('link', { name: "Plans d'actions" }).first().click();
      await page.waitForURL(/\/plans-actions$/);
      await checkA11y(page, "plans d'actions");
      await page.getByRole('link', { name: /Plan d'actions ARS PACA/ }).click();
      await page.waitForURL(/\/plans-actions\/\d+$/);
      const main = await page.locator('main').innerText();
      assert.match(main, /Axe 1 : Renforcer la pertinence des prises en charge/);
      assert.match(main, /non renseigné/);
      assert.equal(await page.locator('main svg[role="img"]').count(), 1, 'the timeline');
      await checkA11y(page, "plan d'actions");
      const all = await page.locator('main table').last().locator('tbody tr').count();
      await page.locator('label[for="late"]').click();
      await page.getByRole('button', { name: 'Filtrer' }).click();
      await page.waitForURL(/late=true/);
      const late = await page.locator('main table').last().locator('tbody tr').count();
      assert.ok(late > 0 && late < all, `${late} of ${all} rows`);
      assert.ok(await page.locator('main .fr-badge', { hasText: /en retard/i }).count() > 0);
      await checkA11y(page, 'plan filtré');
    });
  });
});
