// Reviews: `cpom demo` records the 2026 review of the CHU de Nîmes with a road map. The ARS
// referent opens it from the menu, adds an action tied to an engagement (a first try without
// a title is refused with its message), marks an action done, then prints the review pack of
// the contract. The leader of the CHU reads the review without the forms. Every page is
// checked with axe-core.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { checkA11y, DEMO_PASSWORD, launchBrowser, signIn, startServer, withPage } from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ logFile: 'reviews.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('revues', () => {
  test("l'ARS complète la feuille de route d'une revue et imprime le dossier de revue ; l'établissement la lit", async () => {
    let reviewUrl;
    await withPage(browser, 'revue-ars', async (page) => {
      await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
      await page.getByRole('link', { name: 'Revues' }).first().click();
      await page.waitForURL(/\/revues$/);
      await checkA11y(page, 'revues');
      await page.getByRole('link', { name: '15/06/2026' }).click();
      await page.waitForURL(/\/revues\/\d+$/);
      reviewUrl = page.url();
      const main = await page.locator('main').innerText();
      assert.match(main, /Directeur général du CHU/);
      assert.match(main, /en retard/i, 'the action due on 30/09/2026 and still under way');
      await checkA11y(page, 'revue');
      // Refused without a title: the message names the field, nothing is added.
      const before = await page.locator('#feuille-de-route + .fr-table tbody tr').count();
      await page.getByLabel('Porteur').fill('Direction financière');
      await page.getByLabel('Échéance').fill('30/06/2027');
      await page.getByRole('button', { name: "Ajouter l'action" }).click();
      assert.match(await page.locator('.fr-alert--error').innerText(), /Action : obligatoire/);
      await checkA11y(page, 'action refusée');
      await page.locator('#title').fill('Présenter le plan de retour à l\'équilibre');
      await page.locator('label[for="eng-2"]').click();
      await page.getByRole('button', { name: "Ajouter l'action" }).click();
      await page.waitForURL(/\/revues\/\d+(#feuille-de-route)?$/);
      const rows = page.locator('#feuille-de-route + .fr-table tbody tr');
      assert.equal(await rows.count(), before + 1);
      const added = rows.filter({ hasText: "Présenter le plan de retour à l'équilibre" });
      assert.match(await added.innerText(), /E2/);
      // The late action marked done: no longer late.
      const late = rows.filter({ hasText: "Rouvrir l'unité fermée" });
      await late.locator('select').selectOption('done');
      await late.getByRole('button', { name: 'Mettre à jour' }).click();
      await page.locator('main .fr-badge', { hasText: /en retard/i }).waitFor({ state: 'detached' });
      assert.match(await rows.filter({ hasText: "Rouvrir l'unité fermée" }).locator('select').inputValue(), /done/);
      // The review pack of the contract covered.
      const href = await page.getByRole('link', { name: 'dossier de revue (PDF)' }).first().getAttribute('href');
      const pack = await page.evaluate(async (h) => {
        const r = await fetch(h);
        const bytes = new Uint8Array(await r.arrayBuffer());
        return { status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(...bytes.slice(0, 5)), size: bytes.length };
      }, href);
      assert.equal(pack.status, 200);
      assert.equal(pack.type, 'application/pdf');
      assert.equal(pack.head, '%PDF-');
      assert.ok(pack.size > 2000, `${pack.size} bytes`);
    });
    await withPage(browser, 'revue-etablissement', async (page) => {
      await signIn(page, server.baseUrl, 'nimes-leader@cpom.demo', DEMO_PASSWORD);
      await page.goto(reviewUrl);
      const main = await page.locator('main').innerText();
      assert.match(main, /Présenter le plan de retour à l'équilibre/);
      assert.match(main, /réalisée/);
      assert.equal(await page.getByRole('button', { name: "Ajouter l'action" }).count(), 0);
      await checkA11y(page, 'revue (établissement)');
    });
  });
});
