// Contracts: the demo contracts of the region are listed; an ARS referent prepares a CPOM for the CHU de Montpellier from the published
// Occitanie catalogue, adds an engagement and negotiates one of its targets, opens the
// negotiation; the establishment's leader reads it and declares it ready to sign; the
// referent records the signature, downloads the contract as PDF (its text read with
// pdftotext, Debian poppler-utils) and files it back as the signed scan. Every page is
// checked with axe-core.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('contrats', () => {
  test("une référente prépare un contrat, l'établissement l'accepte, la référente enregistre la signature", async () => {
    let contractUrl;
    await withPage(browser, 'contrat-preparation', async (page) => {
      await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
      await page.getByRole('link', { name: 'Contrats' }).first().click();
      await page.waitForURL(/\/contrats$/);
      // `cpom demo` seeds contracts of the region in every state.
      const list = await page.locator('main').innerText();
      for (const state of ['en préparation', 'en négociation', 'prêt à signer', 'signé (en vigueur)', 'résilié']) {
        assert.ok(list.includes(state), `a demo contract ${state} in ${list}`);
      }
      assert.doesNotMatch(list, /Hospices civils|HOSPICES CIVILS/, 'another region is not listed');
      await checkA11y(page, 'contrats');
      // The CHU de Nîmes' contract has a signed avenant: its first version stays readable,
      // and what the avenant changed is listed.
      await page.locator('tr', { hasText: '300780038' }).getByRole('link').first().click();
      await page.waitForURL(/\/contrats\/\d+$/);
      const amended = await page.locator('main').innerText();
      assert.match(amended, /Modifications apportées par l'avenant n° 1/);
      assert.match(amended, /Engagements modifiés/);
      assert.match(amended, /révisé par l'avenant n° 1/);
      await checkA11y(page, 'contrat avec avenant');
      await page.getByRole('link', { name: 'Contrat initial' }).click();
      await page.waitForURL(/\/versions\/0$/);
      assert.match(await page.locator('h1').innerText(), /Contrat initial/);
      await checkA11y(page, 'version signée précédente');
      await page.getByRole('link', { name: 'Contrats' }).first().click();
      await page.waitForURL(/\/contrats$/);
      await page.getByRole('link', { name: 'Préparer un contrat' }).click();
      await page.waitForURL(/\/contrats\/nouveau$/);
      await checkA11y(page, 'nouveau contrat');
      await page.getByLabel('Entité juridique (numéro FINESS EJ)').fill('340780477');
      await page.getByLabel('Référentiel').selectOption('occitanie-2025-2029');
      await page.getByRole('button', { name: 'Créer le contrat' }).click();
      await page.waitForURL(/\/contrats\/\d+$/);
      contractUrl = page.url();
      assert.match(await page.locator('h1').innerText(), /CPOM 2025-2029/);
      await checkA11y(page, 'contrat en préparation');

      await page.getByRole('button', { name: "Ajouter l'action CPOM_CT_2" }).click();
      await page.waitForURL(/#E1$/);
      await page.getByRole('link', { name: "Modifier l'engagement E1" }).click();
      await page.waitForURL(/\/engagements\/E1$/);
      await checkA11y(page, 'engagement');
      // The targets come pre-filled from the catalogue: negotiate the one of 2027.
      const years = await page.locator('input[name$="].year"]').evaluateAll((inputs) => inputs.map((i) => i.value));
      const line = years.indexOf('2027') + 1;
      assert.ok(line > 0, `a target for 2027 among ${years}`);
      await page.getByLabel(`Règle de la ligne ${line}`, { exact: true }).fill('>= 2');
      await page.getByLabel(`Texte de la ligne ${line}`, { exact: true }).fill('2 projets formalisés');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.waitForURL(/\/contrats\/\d+#E1$/);
      const table = await page.getByRole('table', { name: /Engagements/ }).innerText();
      assert.match(table, /2 projets formalisés/);

      await page.getByLabel("Commentaire pour l'historique").fill('Première proposition');
      await page.getByRole('button', { name: 'Ouvrir la négociation' }).click();
      await page.waitForURL(contractUrl);
      assert.match(await page.locator('h1').innerText(), /en négociation/i);
    });

    await withPage(browser, 'contrat-etablissement', async (page) => {
      await signIn(page, server.baseUrl, 'establishment-leader@cpom.demo', DEMO_PASSWORD);
      await page.goto(contractUrl);
      const main = await page.locator('main').innerText();
      assert.match(main, /2 projets formalisés/);
      assert.match(main, /Première proposition/);
      assert.doesNotMatch(main, /Modifier l'engagement/);
      await checkA11y(page, 'contrat vu par l’établissement');
      await page.getByLabel('Sujet').selectOption('E1');
      await page.getByLabel('Commentaire', { exact: false }).last().fill('Cible 2027 acceptée.');
      await page.getByRole('button', { name: 'Publier le commentaire' }).click();
      await page.waitForURL(/#echanges$/);
      assert.match(await page.locator('main').innerText(), /Louis Directeur \(établissement\), sur engagement E1\s+Cible 2027 acceptée\./);
      await page.getByRole('button', { name: 'Déclarer prêt à signer' }).click();
      await page.waitForURL(contractUrl);
      assert.match(await page.locator('h1').innerText(), /prêt à signer/i);
    });

    await withPage(browser, 'contrat-signature', async (page) => {
      await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
      await page.goto(contractUrl);
      await page.getByRole('link', { name: 'Enregistrer la signature' }).click();
      await page.waitForURL(/\/signature$/);
      await checkA11y(page, 'signature');
      await page.getByLabel('Nom du signataire 1').fill('Didier Jaffre');
      await page.getByLabel('Fonction du signataire 1').fill('Directeur général');
      // The legal representative is missing: refused, with the reason.
      await page.getByRole('button', { name: 'Enregistrer la signature' }).click();
      await page.locator('.fr-alert--error').waitFor();
      assert.match(await page.locator('.fr-alert--error').innerText(), /signataire 2 : nom obligatoire/);
      await page.getByLabel('Nom du signataire 2').fill('Anne Ferrer');
      await page.getByLabel('Fonction du signataire 2').fill('Directrice générale');
      await page.getByRole('button', { name: 'Enregistrer la signature' }).click();
      await page.waitForURL(contractUrl);
      assert.match(await page.locator('main').innerText(), /Anne Ferrer, Directrice générale/);
      assert.match(await page.locator('h1').innerText(), /signé/i);
      assert.match(await page.locator('main').innerText(), /Signé le\s+\d\d\/\d\d\/\d{4}/);
      await checkA11y(page, 'contrat signé');

      // The contract as PDF: its engagements, negotiated target and signatories.
      const dir = mkdtempSync(join(tmpdir(), 'cpom-e2e-'));
      try {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('link', { name: 'Contrat (PDF)' }).click(),
        ]);
        assert.match(download.suggestedFilename(), /^cpom-340780477-contrat-\d+-v0\.pdf$/);
        const pdf = join(dir, 'contrat.pdf');
        await download.saveAs(pdf);
        const text = execFileSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
        assert.match(text, /Contrat pluriannuel d'objectifs et de moyens/);
        assert.match(text, /CPOM_CT_2/);
        assert.match(text, /2 projets\s+formalisés/);
        assert.match(text, /Anne Ferrer, Directrice générale/);
        assert.match(text, /Page 1 sur \d+/);

        // Filed back as the signed scan.
        await page.getByLabel('Déposer le scan du contrat signé').setInputFiles(pdf);
        await page.getByRole('button', { name: 'Déposer le scan signé' }).click();
        await page.waitForURL(/#documents$/);
        assert.match(await page.locator('#documents').innerText(), /Scan signé : contrat\.pdf/);
        await checkA11y(page, 'contrat signé avec son scan');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
