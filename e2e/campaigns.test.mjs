// Campaigns: `cpom demo` opens the 2026 campaign on the CHU de Nîmes' contract. Its leader
// declares a value with a piece of evidence and submits it; the ARS referent returns it with
// a reason; the leader corrects and submits again; the referent validates it. In the 2025
// campaign, whose values come from the PMSI, the ARS administrator loads a corrected value
// from a CSV file (preview, then load), the leader contests it with a comment, and the
// referent finds it among the contested values and validates it. Every page is checked with
// axe-core.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { checkA11y, DEMO_PASSWORD, launchBrowser, signIn, startServer, withPage } from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ logFile: 'campaigns.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Fills the value field of a declaration form, whatever the indicator's kind. */
async function fillValue(page, answer, number) {
  if (await page.locator('input[name="answer"]').count()) {
    // DSFR draws the radio button on its label.
    await page.locator(`label[for="answer-${answer}"]`).click();
  } else if (await page.locator('input[name="numerator"]').count()) {
    await page.getByLabel('Numérateur').fill(String(number));
    await page.getByLabel('Dénominateur').fill('100');
  } else if (await page.locator('textarea[name="text"]').count()) {
    await page.getByLabel('Texte', { exact: true }).fill(`Réalisé (${number})`);
  } else {
    await page.getByLabel('Valeur', { exact: true }).fill(String(number));
  }
}

describe('campagnes', () => {
  test("l'établissement soumet avec un justificatif, l'ARS renvoie, l'établissement corrige, l'ARS valide", async () => {
    let declarationUrl;
    const dir = mkdtempSync(join(tmpdir(), 'cpom-e2e-'));
    const evidence = join(dir, 'convention.pdf');
    writeFileSync(evidence, '%PDF-1.4\n% convention de partenariat signée\n%%EOF\n');
    try {
      await withPage(browser, 'campagne-etablissement', async (page) => {
        await signIn(page, server.baseUrl, 'nimes-leader@cpom.demo', DEMO_PASSWORD);
        await page.getByRole('link', { name: 'Campagnes' }).first().click();
        await page.waitForURL(/\/campagnes$/);
        await checkA11y(page, 'campagnes');
        await page.getByRole('link', { name: 'Campagne 2026 (démonstration)' }).click();
        await page.waitForURL(/\/campagnes\/\d+$/);
        await checkA11y(page, 'campagne');
        const row = page.locator('tr', { hasText: 'à déclarer' }).first();
        await row.getByRole('link').click();
        await page.waitForURL(/\/declarations\/\d+$/);
        declarationUrl = page.url();
        await checkA11y(page, 'déclaration à saisir');
        // An HTML page disguised as a PDF is refused.
        const fake = join(dir, 'rapport.pdf');
        writeFileSync(fake, '<!DOCTYPE html><html><body><script>alert(1)</script></body></html>');
        await page.getByLabel('Déposer un justificatif').setInputFiles(fake);
        await page.getByRole('button', { name: 'Déposer', exact: true }).click();
        await page.locator('.fr-alert--error').waitFor();
        assert.match(await page.locator('.fr-alert--error').innerText(), /rapport\.pdf : une page web/);
        await page.goto(declarationUrl);
        await page.getByLabel('Déposer un justificatif').setInputFiles(evidence);
        await page.getByRole('button', { name: 'Déposer', exact: true }).click();
        await page.waitForURL(/#justificatifs$/);
        assert.match(await page.locator('#justificatifs').innerText(), /convention\.pdf/);
        await fillValue(page, 'non', 40);
        await page.getByRole('button', { name: "Soumettre à l'ARS" }).click();
        await page.waitForURL(declarationUrl);
        const main = await page.locator('main').innerText();
        assert.match(main, /soumise/);
        assert.match(main, /Lecture seule : valeur soumise/);
      });

      await withPage(browser, 'campagne-renvoi', async (page) => {
        await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
        await page.goto(declarationUrl);
        await checkA11y(page, 'déclaration à valider');
        await page.getByLabel('Raison').fill('Le justificatif ne porte pas sur 2026.');
        await page.getByRole('button', { name: 'Renvoyer pour correction' }).click();
        await page.waitForURL(declarationUrl);
        assert.match(await page.locator('main').innerText(), /renvoyée pour correction/);
      });

      await withPage(browser, 'campagne-correction', async (page) => {
        await signIn(page, server.baseUrl, 'nimes-leader@cpom.demo', DEMO_PASSWORD);
        await page.goto(declarationUrl);
        assert.match(await page.locator('main').innerText(), /Le justificatif ne porte pas sur 2026\./);
        await fillValue(page, 'oui', 55);
        await page.getByLabel('Commentaire').fill('Justificatif 2026 joint.');
        await page.getByRole('button', { name: "Soumettre à l'ARS" }).click();
        await page.waitForURL(declarationUrl);
        assert.match(await page.locator('main').innerText(), /soumise/);
      });

      await withPage(browser, 'campagne-validation', async (page) => {
        await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
        await page.goto(declarationUrl);
        await page.getByRole('button', { name: 'Valider', exact: true }).click();
        await page.waitForURL(declarationUrl);
        const main = await page.locator('main').innerText();
        assert.match(main, /validée/);
        assert.match(main, /renvoi pour correction/);
        assert.match(main, /validation/);
        await checkA11y(page, 'déclaration validée');
        // Its verdict, at once in the contract's scorecard and the campaign's dashboard.
        const verdict = (await page.locator('dt:has-text("Évaluation") + dd .fr-badge').innerText()).trim();
        assert.notEqual(verdict.toLowerCase(), 'non renseigné');
        const id = declarationUrl.split('/').pop();
        const { contract_id: contract, campaign_id: campaign } = await page.evaluate(async (did) => {
          const r = await fetch(`/api/v1/declarations/${did}`);
          return r.json();
        }, id);
        await page.goto(`${server.baseUrl}/contrats/${contract}`);
        await page.getByRole('link', { name: /Bilan du contrat/ }).click();
        await page.waitForURL(/\/bilan$/);
        assert.equal((await page.locator(`a[href="/declarations/${id}"]`).innerText()).trim(), verdict);
        await checkA11y(page, 'bilan du contrat');
        await page.goto(`${server.baseUrl}/campagnes/${campaign}`);
        await page.getByRole('link', { name: 'Tableau de bord de la campagne' }).click();
        await page.waitForURL(/\/tableau-de-bord$/);
        const board = await page.locator('main').innerText();
        for (const chart of ['Avancement par département', 'Avancement par GHT', 'Atteinte par indicateur', 'Atteinte par tranche de taille', 'Atteinte par GHT']) {
          assert.match(board, new RegExp(`${chart} \\(tableau\\)`));
        }
        assert.equal(await page.locator('main svg[role="img"]').count(), await page.locator('main table').count());
        await checkA11y(page, 'tableau de bord');
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("l'ARS charge une valeur depuis un fichier, l'établissement la conteste, l'ARS la valide", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpom-e2e-'));
    let declarationUrl;
    try {
      await withPage(browser, 'valeurs-ars', async (page) => {
        await signIn(page, server.baseUrl, 'ars-admin@cpom.demo', DEMO_PASSWORD);
        await page.goto(`${server.baseUrl}/campagnes`);
        await page.getByRole('link', { name: 'Campagne 2025 (démonstration, valeurs PMSI)' }).click();
        await page.waitForURL(/\/campagnes\/\d+$/);
        const campaignUrl = page.url();
        await page.getByRole('link', { name: /Valeurs fournies par l'ARS/ }).click();
        await page.waitForURL(/\/valeurs$/);
        assert.match(await page.locator('main').innerText(), /pmsi-2025\.csv/);
        await checkA11y(page, 'valeurs fournies par l\'ARS');
        // A declaration still waiting for the establishment's answer, and a line for it.
        const id = campaignUrl.split('/').pop();
        const waiting = await page.evaluate(async (cid) => {
          const r = await fetch(`/api/v1/campaigns/${cid}/declarations?state=draft`);
          return (await r.json()).items[0];
        }, id);
        const finess = waiting.site ?? waiting.ej;
        const value = {
          count: '77;;', amount: '77;;', rate: ';77;100', yes_no: 'non;;', milestone: 'non;;', text: 'Mesure corrigée;;',
        }[waiting.kind];
        const csv = join(dir, 'pmsi-corrige.csv');
        writeFileSync(csv, `finess;indicateur;annee;valeur;numerateur;denominateur\n${finess};${waiting.indicator};2025;${value}\n`);
        // A file with an error is refused with its line; nothing is loaded.
        const bad = join(dir, 'pmsi-faux.csv');
        writeFileSync(bad, `finess;indicateur;annee;valeur\n${finess};${waiting.indicator};2024;1\n`);
        await page.getByLabel('Source').selectOption('pmsi');
        await page.getByLabel('Fichier CSV ou XLSX').setInputFiles(bad);
        await page.getByRole('button', { name: 'Prévisualiser' }).click();
        await page.locator('#rapport').waitFor();
        assert.match(await page.locator('main').innerText(), /la campagne suit l'année 2025/);
        await page.getByLabel('Source').selectOption('pmsi');
        await page.getByLabel('Description (facultative)').fill('PMSI MCO 2025, corrigé');
        await page.getByLabel('Fichier CSV ou XLSX').setInputFiles(csv);
        await page.getByRole('button', { name: 'Prévisualiser' }).click();
        await page.locator('#rapport').waitFor();
        assert.match(await page.locator('main').innerText(), /1 valeur\(s\) prête\(s\)/);
        await checkA11y(page, 'aperçu des valeurs');
        await page.getByRole('button', { name: /Charger ces 1 valeur/ }).click();
        await page.locator('.fr-alert--success').waitFor();
        assert.match(await page.locator('main').innerText(), /PMSI MCO 2025, corrigé/);
        declarationUrl = `${server.baseUrl}/declarations/${waiting.id}`;
      });

      await withPage(browser, 'valeurs-contestation', async (page) => {
        await signIn(page, server.baseUrl, 'nimes-leader@cpom.demo', DEMO_PASSWORD);
        await page.goto(declarationUrl);
        const main = await page.locator('main').innerText();
        assert.match(main, /Fournie par l'ARS/);
        assert.match(main, /PMSI MCO 2025, corrigé/);
        assert.match(main, /Lecture seule : valeur fournie par l'ARS/);
        await checkA11y(page, 'valeur fournie par l\'ARS');
        await page.getByRole('button', { name: 'Contester la valeur' }).click();
        await page.locator('.fr-alert--error').waitFor();
        assert.match(await page.locator('.fr-alert--error').innerText(), /pourquoi la valeur est contestée/);
        await page.getByLabel(/^Commentaire/).fill('Les séjours de décembre manquent.');
        await page.getByRole('button', { name: 'Contester la valeur' }).click();
        await page.waitForURL(declarationUrl);
        const after = await page.locator('main').innerText();
        assert.match(after, /contestée par l'établissement/i);
        assert.match(after, /contestation de la valeur fournie par l'ARS/);
      });

      await withPage(browser, 'valeurs-validation', async (page) => {
        await signIn(page, server.baseUrl, 'ars-referent@cpom.demo', DEMO_PASSWORD);
        const id = declarationUrl.split('/').pop();
        const campaign = await page.evaluate(async (did) => {
          const r = await fetch(`/api/v1/declarations/${did}`);
          return (await r.json()).campaign_id;
        }, id);
        await page.goto(`${server.baseUrl}/campagnes/${campaign}`);
        await page.locator('label[for="contested"]').click();
        await page.getByRole('button', { name: 'Filtrer' }).click();
        await page.waitForURL(/contested=true/);
        await checkA11y(page, 'valeurs contestées');
        await page.locator(`a[href="/declarations/${id}"]`).click();
        await page.waitForURL(declarationUrl);
        await page.getByRole('button', { name: 'Valider', exact: true }).click();
        await page.waitForURL(declarationUrl);
        assert.match(await page.locator('main').innerText(), /validée/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
