// Référentiels: an establishment user browses the published Occitanie catalogue, searches a
// fiche, reads it with its targets, and sees which model actions apply to its legal entity;
// an ARS referent reads the AURA catalogue of another region only if national. `cpom demo`
// publishes the three shipped catalogues. Every page is checked with axe-core.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { checkA11y, DEMO_PASSWORD, launchBrowser, signIn, startServer, withPage } from './lib.mjs';

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

describe('référentiels', () => {
  test("un établissement lit une fiche, ses cibles et les actions qui lui sont applicables", () =>
    withPage(browser, 'referentiel-fiche', async (page) => {
      await signIn(page, server.baseUrl, 'establishment-leader@cpom.demo', DEMO_PASSWORD);
      await page.getByRole('link', { name: 'Référentiels' }).first().click();
      await page.waitForURL(/\/referentiels$/);
      const list = await page.locator('main').innerText();
      assert.match(list, /Occitanie 2025–2029/);
      assert.doesNotMatch(list, /Auvergne-Rhône-Alpes 2020–2024/, 'another region is not listed');
      await checkA11y(page, 'référentiels');

      await page.getByRole('link', { name: 'Occitanie 2025–2029' }).click();
      await page.waitForURL(/\/referentiels\/occitanie-2025-2029/);
      await checkA11y(page, 'référentiel');

      // Search across the fiches.
      await page.getByLabel('Rechercher une fiche (code, titre, définition)').fill('imagerie mutualisé');
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.waitForURL(/q=imagerie/);
      assert.match(await page.locator('main').innerText(), /1 fiche\(s\) pour/);
      await page.locator('main ul').getByRole('link', { name: /CPOM_CT_1/ }).first().click();
      await page.waitForURL(/\/fiches\/CPOM_CT_1/);
      const fiche = await page.locator('main').innerText();
      assert.match(fiche, /CHU 30 : oui/);
      assert.match(fiche, /Définition/);
      await checkA11y(page, 'fiche');

      // Applicability on the user's own legal entity.
      await page.goto(`${server.baseUrl}/referentiels/occitanie-2025-2029/applicabilite`);
      const applicable = await page.locator('main').innerText();
      assert.match(applicable, /action\(s\) type sur 30/);
      assert.match(applicable, /CPOM_CT_7/);
      await checkA11y(page, 'actions applicables');
    }));

  test("une référente ARS d'Occitanie ne voit pas le référentiel d'une autre région", () =>
    withPage(browser, 'referentiel-autre-region', async (page) => {
      await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
      const resp = await page.goto(`${server.baseUrl}/referentiels/aura-2020-2024`);
      assert.equal(resp.status(), 404);
      await checkA11y(page, 'référentiel introuvable');
    }));

  test("une administratrice ARS importe un fichier erroné, lit les erreurs, puis voit la gestion des versions", () =>
    withPage(browser, 'referentiel-import', async (page) => {
      await signIn(page, server.baseUrl, 'ars-admin@cpom.demo', DEMO_PASSWORD);
      await page.goto(`${server.baseUrl}/referentiels`);
      await page.getByRole('link', { name: 'Importer un référentiel' }).click();
      await page.waitForURL(/\/referentiels\/importer$/);
      await checkA11y(page, 'import de référentiel');
      await page.getByLabel('Fichier du référentiel').setInputFiles({
        name: 'abime.toml',
        mimeType: 'application/toml',
        buffer: Buffer.from('format = 1\nslug = "essai"\n'),
      });
      await page.getByRole('button', { name: 'Importer en brouillon' }).click();
      await page.locator('.fr-alert--error').waitFor();
      assert.match(await page.locator('.fr-alert--error').innerText(), /rien n'a été importé/);
      assert.match(await page.locator('.fr-alert--error').innerText(), /champ « title » manquant/);
      await checkA11y(page, "import refusé");

      await page.goto(`${server.baseUrl}/referentiels/occitanie-2025-2029`);
      assert.match(await page.locator('main').innerText(), /Archiver la version 1/);
      await checkA11y(page, 'référentiel, gestion');
    }));
});

describe('éditeur de référentiel', () => {
  test("une administratrice ARS crée une nouvelle version, ajoute une fiche avec sa cible et la prévisualise", () =>
    withPage(browser, 'referentiel-editeur', async (page) => {
      await signIn(page, server.baseUrl, 'ars-admin@cpom.demo', DEMO_PASSWORD);
      await page.goto(`${server.baseUrl}/referentiels/occitanie-2025-2029`);
      await page.getByRole('button', { name: 'Créer une nouvelle version (brouillon)' }).click();
      await page.waitForURL(/version=2$/);
      assert.match(await page.locator('h1').innerText(), /brouillon/i);
      await checkA11y(page, 'brouillon en édition');

      await page.getByRole('link', { name: "Ajouter une fiche à l'action CPOM_CT_1" }).click();
      await page.waitForURL(/\/elements\/fiches\/nouveau/);
      await checkA11y(page, 'nouvelle fiche');
      await page.getByLabel('Code', { exact: false }).first().fill('CPOM_CT_1-DELAI');
      await page.getByLabel("Intitulé de l'indicateur").fill("Délai d'interprétation des examens");
      await page.getByLabel('Type de valeur').selectOption('rate');
      await page.getByLabel('Unité').fill('%');
      await page.getByLabel('Tranche de la cible 1').fill('all');
      await page.getByLabel('Année de la cible 1').fill('2027');
      // A rule that does not read comes back under its field, with the typed values kept.
      await page.getByLabel('Règle de la cible 1').fill('>= beaucoup');
      await page.getByRole('button', { name: 'Ajouter', exact: true }).click();
      await page.locator('.fr-alert--error').waitFor();
      assert.match(await page.locator('.fr-alert--error').innerText(), /cible n° 1, colonne/);
      assert.equal(await page.getByLabel("Intitulé de l'indicateur").inputValue(), "Délai d'interprétation des examens");
      await checkA11y(page, 'fiche refusée');
      await page.getByLabel('Règle de la cible 1').fill('>= 80');
      await page.getByRole('button', { name: 'Ajouter', exact: true }).click();
      await page.waitForURL(/\/fiches\/CPOM_CT_1-DELAI\?version=2/);
      assert.match(await page.locator('h1').innerText(), /Délai d'interprétation des examens/);
      await checkA11y(page, 'fiche ajoutée');

      // The preview: what an establishment of 100 to 499 beds will see.
      await page.getByLabel('Établissement de la tranche').selectOption('100to499');
      await page.getByRole('button', { name: "Afficher l'aperçu" }).click();
      await page.waitForURL(/tranche=100to499/);
      const preview = await page.getByRole('table', { name: /Cibles vues par un établissement/ }).innerText();
      assert.match(preview, />= 80/);
      assert.match(preview, /pas de cible/);
      await checkA11y(page, 'aperçu de fiche');
    }));
});
