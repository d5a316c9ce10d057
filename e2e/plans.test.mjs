// Action plans: `cpom demo` loads the plan of seed 000 (ARS PACA – Assurance maladie
// 2018-2023). The national administrator opens it from the menu, reads its timeline and
// counts, and keeps the late items only. The Assurance maladie's pilot, editor of the plan,
// marks a late action done, writes a progress note, and sees the action leave the late items
// of the timeline. Every page is checked with axe-core.

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
      const tree = () => page.locator('main table', { hasText: 'Thématiques, axes, objectifs, actions et sous-actions' });
      const all = await tree().locator('tbody tr').count();
      await page.locator('label[for="late"]').click();
      await page.getByRole('button', { name: 'Filtrer' }).click();
      await page.waitForURL(/late=true/);
      const late = await tree().locator('tbody tr').count();
      assert.ok(late > 0 && late < all, `${late} of ${all} rows`);
      assert.ok(await page.locator('main .fr-badge', { hasText: /en retard/i }).count() > 0);
      await checkA11y(page, 'plan filtré');
    });
  });

  test("le pilote de l'Assurance maladie termine une action en retard et le calendrier change", async () => {
    await withPage(browser, 'plan-edit', async (page) => {
      await signIn(page, server.baseUrl, 'am-paca@cpom.demo', DEMO_PASSWORD);
      await page.getByRole('link', { name: "Plans d'actions" }).first().click();
      await page.waitForURL(/\/plans-actions$/);
      await page.getByRole('link', { name: /Plan d'actions ARS PACA/ }).click();
      await page.waitForURL(/\/plans-actions\/\d+$/);
      const planUrl = page.url();
      const lateLabels = async () =>
        page.locator('main svg text').evaluateAll((nodes) =>
          nodes.map((n) => n.textContent).filter((t) => t.startsWith('! ')));
      const before = await lateLabels();
      // A late action of the timeline (sub-actions are in the table only).
      const lateTable = page.locator('main table', { hasText: 'Éléments dont la date de fin est passée' });
      const row = lateTable.locator('tbody tr', { has: page.locator('td:first-child', { hasText: /^Action$/ }) }).first();
      const title = (await row.locator('td').nth(1).innerText()).trim();
      assert.ok(before.some((l) => title.startsWith(l.slice(2).replace(/…$/, ''))), `${title} in ${before}`);
      await row.getByRole('link').click();
      await page.waitForURL(/\/elements\/\d+$/);
      assert.match(await page.locator('#statut-courant').innerText(), /en retard/i);
      await checkA11y(page, "élément d'un plan");
      // A wrong date is refused by name, nothing saved.
      const end = await page.locator('#end').inputValue();
      await page.locator('#end').fill('31/02/2020');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.locator('.fr-alert--error').waitFor();
      assert.match(await page.locator('#end-erreur').innerText(), /Date de fin/);
      await page.locator('#end').fill(end);
      await page.locator('#status').selectOption({ label: 'terminée' });
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.waitForURL(/enregistre=1/);
      const status = await page.locator('#statut-courant').innerText();
      assert.match(status, /terminée/);
      assert.doesNotMatch(status, /en retard/i);
      // A dated progress note, signed.
      await page.locator('#text').fill('Action close : bilan présenté au comité de suivi.');
      await page.getByRole('button', { name: 'Ajouter le point' }).click();
      await page.waitForURL(/#points$/);
      const notes = await page.locator('main').innerText();
      assert.match(notes, /bilan présenté au comité de suivi/);
      assert.match(notes, /Amélie Assurance maladie/);
      await checkA11y(page, 'élément modifié');
      // The timeline: one late item less, this one no longer marked.
      await page.goto(planUrl);
      const after = await lateLabels();
      assert.equal(after.length, before.length - 1, `${before} → ${after}`);
      assert.ok(!after.some((l) => title.startsWith(l.slice(2).replace(/…$/, ''))), `${title} still late`);
    });
  });

  test("l'administrateur de l'ARS PACA ajoute un statut à la liste de la région", async () => {
    await withPage(browser, 'plan-lists', async (page) => {
      await signIn(page, server.baseUrl, 'paca-admin@cpom.demo', DEMO_PASSWORD);
      await page.goto(`${server.baseUrl}/plans-actions`);
      await page.getByRole('link', { name: /Plan d'actions ARS PACA/ }).click();
      await page.waitForURL(/\/plans-actions\/\d+$/);
      const roles = await page.locator('main table', { hasText: 'Comptes ayant un rôle sur le plan' }).innerText();
      assert.match(roles, /Amélie Assurance maladie/);
      assert.match(roles, /éditeur/);
      await page.goto(`${server.baseUrl}/plans-actions`);
      await page.getByRole('link', { name: 'Statuts et pilotes de la région' }).click();
      await page.waitForURL(/\/plans-actions\/listes$/);
      await checkA11y(page, 'statuts et pilotes');
      // Without a closing status the lists are refused, nothing saved.
      const closing = page.locator('input[type="checkbox"]:checked');
      const checked = await closing.count();
      assert.ok(checked > 0);
      for (const id of await closing.evaluateAll((n) => n.map((x) => x.id))) {
        await page.locator(`label[for="${id}"]`).click();
      }
      await page.getByRole('button', { name: 'Enregistrer les listes' }).click();
      await page.locator('.fr-alert--error').waitFor();
      assert.match(await page.locator('.fr-alert--error').innerText(), /clore/);
      await page.goto(`${server.baseUrl}/plans-actions/listes`);
      await page.locator('#status-4').fill('Abandonnée');
      await page.locator('label[for="closed-4"]').click();
      await page.getByRole('button', { name: 'Enregistrer les listes' }).click();
      await page.waitForURL(/enregistre=1/);
      assert.equal(await page.locator('#status-4').inputValue(), 'Abandonnée');
      assert.ok(await page.locator('#closed-4').isChecked());
    });
  });
});
