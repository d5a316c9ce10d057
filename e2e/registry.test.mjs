// Registry: search as you type, legal entity and site pages, band override, and an import
// previewed then confirmed — as an ARS administrator of Occitanie and as an establishment.
// `cpom demo` loads the Occitanie registry from ../shared/data. Every page is checked with
// axe-core.

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { checkA11y, DEMO_PASSWORD, launchBrowser, signIn, startServer, withPage } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = process.env.CPOM_DEMO_DATA_DIR || path.join(HERE, '../../shared/data');

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('registre', () => {
  test("une administratrice ARS cherche au fil de la saisie, ouvre une entité et fixe sa tranche", () =>
    withPage(browser, 'registre-recherche', async (page) => {
      await signIn(page, server.baseUrl, 'ars-admin@cpom.demo', DEMO_PASSWORD);
      await page.getByRole('link', { name: 'Registre' }).first().click();
      await page.waitForURL(/\/registre$/);
      await checkA11y(page, 'registre');

      // Typing updates the results without reloading the page.
      await page.evaluate(() => { window.__sameDocument = true; });
      await page.getByLabel('Raison sociale, FINESS ou commune').fill('chu montpellier');
      await page.locator('#resultats').getByRole('link', { name: 'CHU MONTPELLIER' }).waitFor();
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no full page load');
      assert.match(page.url(), /q=chu\+montpellier|q=chu%20montpellier/);
      await checkA11y(page, 'registre, résultats');

      await page.locator('#resultats').getByRole('link', { name: 'CHU MONTPELLIER' }).click();
      await page.waitForURL(/\/registre\/ej\/340780477$/);
      const body = await page.locator('main, body').first().innerText();
      assert.match(body, /lits en 2023/);
      assert.match(body, /≥ 500/);
      await checkA11y(page, 'entité juridique');

      // Band override: the justification is required, then shown.
      await page.getByText('Fixer ou retirer la tranche de cette entité').click();
      await page.getByLabel('Tranche retenue').selectOption('100to499');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.locator('.fr-alert--error').waitFor();
      assert.match(await page.locator('.fr-alert--error').innerText(), /justification/);
      await page.getByText('Fixer ou retirer la tranche de cette entité').click();
      await page.getByLabel('Tranche retenue').selectOption('100to499');
      await page.getByLabel('Justification').fill("Capacités réduites après la restructuration de l'établissement");
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.waitForURL(/\/registre\/ej\/340780477$/);
      const after = await page.locator('body').innerText();
      assert.match(after, /Tranche fixée par l'ARS/);
      assert.match(after, /Capacités réduites après la restructuration/);
      assert.match(after, /Tranche fixée par l'ARS\s*:\s*100–499/);

      // A site page, from the sites table.
      await page.getByRole('link', { name: 'CHU MONTPELLIER' }).last().click();
      await page.waitForURL(/\/registre\/et\/\d{9}$/);
      assert.match(await page.locator('h1').innerText(), /MONTPELLIER/);
      await checkA11y(page, 'site');
    }));

  test("un import est prévisualisé, puis appliqué après confirmation, et figure dans l'historique", () =>
    withPage(browser, 'registre-import', async (page) => {
      await signIn(page, server.baseUrl, 'ars-admin@cpom.demo', DEMO_PASSWORD);
      await page.goto(`${server.baseUrl}/registre/imports`);
      await checkA11y(page, 'imports');
      await page.getByLabel('Type de fichier').selectOption('sae-id');
      await page.getByLabel('Fichier CSV').setInputFiles(path.join(DATA, 'SAE_2023_ID_2023r.csv'));
      await page.getByRole('button', { name: 'Prévisualiser' }).click();
      await page.getByRole('heading', { name: /Aperçu/ }).waitFor();
      const preview = await page.locator('body').innerText();
      // The demo already holds this file: nothing would change.
      assert.match(preview, /0 créé\(s\)/);
      assert.match(preview, /0 rejeté\(s\)/);
      await checkA11y(page, 'imports, aperçu');
      await page.getByRole('button', { name: "Confirmer l'import" }).click();
      await page.getByRole('heading', { name: /Import appliqué/ }).waitFor();
      const history = page.locator('table').filter({ hasText: 'SAE_2023_ID_2023r.csv' });
      assert.ok((await history.count()) > 0, 'the import is in the history');
      assert.match(await history.first().innerText(), /ars-admin@cpom\.demo/);
    }));

  test("un établissement ne voit que sa propre entité juridique", () =>
    withPage(browser, 'registre-etablissement', async (page) => {
      await signIn(page, server.baseUrl, 'establishment-leader@cpom.demo', DEMO_PASSWORD);
      await page.goto(`${server.baseUrl}/registre`);
      const results = await page.locator('#resultats').innerText();
      assert.match(results, /1 entité\(s\) juridique\(s\)/);
      assert.match(results, /340780477/);
      const other = await page.goto(`${server.baseUrl}/registre/ej/310781406`);
      assert.equal(other.status(), 404);
      assert.equal(await page.getByRole('link', { name: /Importer un fichier/ }).count(), 0);
    }));
});
