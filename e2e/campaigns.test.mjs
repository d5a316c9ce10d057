// Campaigns: `cpom demo` opens the 2026 campaign on the CHU de Nîmes' contract. Its leader
// declares a value with a piece of evidence and submits it; the ARS referent returns it with
// a reason; the leader corrects and submits again; the referent validates it. Every page is
// checked with axe-core.

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
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
